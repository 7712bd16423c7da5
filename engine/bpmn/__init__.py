"""The SpiffWorkflow facade (the only package that imports SpiffWorkflow) and the sandbox in
which diagram code runs."""
