"""The project's date formats by locale (``FORMAT_MODULE_PATH``), read through ``base.words``."""
