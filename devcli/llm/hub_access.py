"""Can Hugging Face be reached now? One short attempt, remembered for the process.

The hub client retries for about half a minute and logs every retry; asking once first lets
an offline first run say what to do within seconds.
"""

import os
import urllib.error
import urllib.request
from functools import cache

from pydantic import BaseModel

REACH_TIMEOUT_S = 4.0


class HubReach(BaseModel):
    endpoint: str
    reachable: bool
    detail: str = ""  # why not, in a few words


def hub_endpoint() -> str:
    """The endpoint huggingface_hub will use (HF_ENDPOINT, read now)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def hub_offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return bool(constants.HF_HUB_OFFLINE) or flag in ("1", "true", "yes", "on")


def probe_hub(endpoint: str, timeout: float = REACH_TIMEOUT_S) -> HubReach:
    """Any HTTP answer, even an error status, means the hub is there."""
    request = urllib.request.Request(f"{endpoint}/api/models?limit=1", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return HubReach(endpoint=endpoint, reachable=True)
    except urllib.error.HTTPError:
        return HubReach(endpoint=endpoint, reachable=True)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return HubReach(endpoint=endpoint, reachable=False, detail=str(reason))


@cache
def hub_reach() -> HubReach:
    if hub_offline():
        return HubReach(endpoint=hub_endpoint(), reachable=False, detail="HF_HUB_OFFLINE is set")
    return probe_hub(hub_endpoint())


def quiet_hub_logging() -> None:
    """The hub client's retry warnings would bury devcli's own message. Its library logger is
    configured when it is first used, so the level is set through its own helper."""
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
