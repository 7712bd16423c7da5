"""Process models: process folders, versions and their deployment, the deployment rules, the
forms."""
