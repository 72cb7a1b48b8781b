"""Where the agent may read and write without asking: the repository, minus git's own data
and files that hold credentials."""

import fnmatch
import glob
import os
import posixpath
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from devcli.safety.targets import is_within
from devcli.shell_syntax.simple_commands import UNKNOWN, ShellEnvironment
from devcli.shell_syntax.wrappers import commands_of

# fmt: off
_CREDENTIAL_NAMES = (
    ".env", ".env.*", "*.env", ".envrc", ".netrc", "_netrc", ".pgpass", ".npmrc", ".pypirc",
    ".git-credentials", ".dockercfg", ".htpasswd", "credentials", "credentials.json",
    "client_secret*.json", "service-account*.json", "secrets.json", "secrets.yml",
    "secrets.yaml", "secrets.toml", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
    "id_ecdsa_sk", "id_ed25519_sk", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "*.kdbx", "*.ovpn",
)
_HARMLESS_NAMES = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub")
_CREDENTIAL_FOLDERS = (".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".config/gcloud")
# fmt: on
MAX_GLOB_MATCHES = 1000


class ConcernKind(StrEnum):
    OUTSIDE = "outside-repository"
    GIT_DATA = "git-data"
    CREDENTIALS = "credential-file"


class Concern(BaseModel):
    kind: ConcernKind
    path: str
    message: str


def is_credential_file(path: str) -> bool:
    name = posixpath.basename(path.rstrip("/")).lower()
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in _HARMLESS_NAMES):
        return False
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in _CREDENTIAL_NAMES):
        return True
    parts = path.replace("\\", "/").split("/")
    joined = "/".join(parts)
    return any(f"/{folder}/" in f"/{joined}" for folder in _CREDENTIAL_FOLDERS)


def editor_concerns(raw_path: str, root: Path, writing: bool) -> list[Concern]:
    """What needs the user's consent before the editor touches `raw_path` (absolute)."""
    resolved = os.path.realpath(raw_path)
    top = str(root.resolve())
    verb = "write" if writing else "read"
    concerns: list[Concern] = []
    if not is_within(resolved, top):
        concerns.append(
            Concern(
                kind=ConcernKind.OUTSIDE,
                path=resolved,
                message=f"{raw_path} is outside the repository {top}"
                + (f" (it leads to {resolved})" if resolved != raw_path else ""),
            )
        )
    elif is_within(resolved, posixpath.join(top, ".git")):
        concerns.append(
            Concern(
                kind=ConcernKind.GIT_DATA,
                path=resolved,
                message=f"{raw_path} is inside `.git`, git's own data; use git commands instead",
            )
        )
    if is_credential_file(raw_path) or is_credential_file(resolved):
        concerns.append(
            Concern(
                kind=ConcernKind.CREDENTIALS,
                path=resolved,
                message=f"{raw_path} may hold credentials; devcli does not {verb} it unasked",
            )
        )
    return concerns


def credential_files_in_command(command: str, cwd: str, home: str) -> list[str]:
    """Credential files a shell command names, as the words it would run with; a glob
    (`cat .en?`) names the files it matches."""
    commands, _ = commands_of(command, ShellEnvironment(cwd=cwd, home=home, environ=os.environ))
    found: list[str] = []
    for simple in commands:
        for word in [*simple.args, *simple.output_targets()]:
            if UNKNOWN in word or word.startswith("-") or not word:
                continue
            for name in [word, *glob_matches(word, simple.cwd)]:
                if is_credential_file(name) and name not in found:
                    found.append(name)
    return found


def glob_matches(word: str, cwd: str) -> list[str]:
    """The paths bash would put in place of a glob word, as it would write them."""
    if not any(char in word for char in "*?[") or UNKNOWN in cwd:
        return []
    try:
        matches = glob.glob(word, root_dir=None if word.startswith("/") else cwd)
    except (OSError, ValueError):
        return []
    return sorted(matches)[:MAX_GLOB_MATCHES]
