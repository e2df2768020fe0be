"""Image dataset facts and the val_map format (``cm`` process side: standard library only).

MLPerf's ImageNet ``val_map.txt`` has one ``<file name> <class>`` per line, class 0..999. Our
sanity set of scikit-image photos uses the same format, with -1 for a photo that shows no
ImageNet class (it is run, but left out of accuracy).
"""

from __future__ import annotations

from pathlib import Path

#: the photos shipped inside scikit-image, with the ImageNet-1k class where one fits
SKIMAGE_PHOTOS: dict[str, int] = {
    "astronaut.png": -1,
    "camera.png": -1,
    # ImageNet's 282 "tiger cat" is glossed "a cat having a striped coat": Chelsea is one
    # (the neighbours 281 tabby .. 285 Egyptian cat are the other domestic cats)
    "chelsea.png": 282,
    "coffee.png": 967,          # espresso (in a cup)
    "motorcycle_left.png": -1,
    "rocket.jpg": 657,          # missile: ImageNet's class for a launch rocket
}

#: ImageNet-1k classes that are domestic cats (281 tabby .. 285 Egyptian cat)
CAT_CLASSES = range(281, 286)

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def read_val_map(path: str | Path, images: str | Path | None = None, classes: int = 1000) -> list[tuple[str, int]]:
    """``[(file name, label)]`` from a val_map file, checked line by line.

    Raises ValueError with one line naming the file and line: a malformed line, a label out of
    range, a duplicate name, a name that escapes the folder, or (with ``images``) a missing image.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read labels file {path}: {exc}") from None
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        where = f"{path}:{no}"
        if len(parts) != 2:
            raise ValueError(f"{where}: expected '<image name> <class>', got {line.strip()!r}")
        name, lab = parts
        try:
            label = int(lab)
        except ValueError:
            raise ValueError(f"{where}: class {lab!r} is not an integer") from None
        if not -1 <= label < classes:
            raise ValueError(f"{where}: class {label} is outside 0..{classes - 1} (or -1 for none)")
        if name in seen:
            raise ValueError(f"{where}: {name} is listed twice")
        if name.startswith(("/", "\\")) or ".." in Path(name).parts:
            raise ValueError(f"{where}: {name!r} is not a file name inside the images folder")
        if images is not None and not (Path(images) / name).is_file():
            raise ValueError(f"{where}: image {name} not found in {images}")
        seen.add(name)
        out.append((name, label))
    if not out:
        raise ValueError(f"labels file {path} lists no images")
    return out


def image_files(folder: str | Path) -> list[str]:
    """The image file names directly in ``folder``, sorted."""
    return sorted(p.name for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
