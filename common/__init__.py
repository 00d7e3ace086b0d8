"""Shared vocabulary at the bottom of the layers: ids, errors, the strict base model, settings,
token counting and process helpers. Nothing here imports another package of the project."""
