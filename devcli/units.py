"""Sizes as people read them."""


def human_size(size: int | None) -> str:
    """1234567 → "1.2 MB" (decimal units, as disks and downloads are sold)."""
    if not size:
        return "size unknown"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
