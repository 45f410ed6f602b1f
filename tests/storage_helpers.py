"""Looking into a storage through its API, so that tests hold for the disk and S3 alike."""


def stored_names(storage, folder: str = "") -> list[str]:
    """Every file name under ``folder``, recursively, sorted."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder}/" if folder else ""
    names = [prefix + name for name in files]
    for directory in directories:
        names += stored_names(storage, prefix + directory)
    return sorted(names)
