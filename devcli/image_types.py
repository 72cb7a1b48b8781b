"""The images models take: formats by file suffix and by media type, and the largest size."""

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
# What one request may carry per image.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_SUFFIXES = {media: suffix for suffix, media in reversed(IMAGE_TYPES.items())}


def suffix_for(media_type: str) -> str | None:
    """The file suffix for an image of this media type; None for one models do not take."""
    return _SUFFIXES.get(media_type.split(";")[0].strip().lower())
