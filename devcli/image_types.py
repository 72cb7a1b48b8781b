"""The image formats models take, by file suffix and by media type."""

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_SUFFIXES = {media: suffix for suffix, media in reversed(IMAGE_TYPES.items())}


def suffix_for(media_type: str) -> str | None:
    """The file suffix for an image of this media type; None for one models do not take."""
    return _SUFFIXES.get(media_type.split(";")[0].strip().lower())
