"""Errors of the detector package.

DetectorError
├── RegistryLookupError (LookupError)        unknown registry name, bad "module:attr" target
├── DuplicateRegistrationError (ValueError)  a name already bound to a different target
├── DetectorConfigError (ValueError)         a DetectorCfg field or override with a bad value
├── DetectorNotFittedError (ValueError)      predict before fit / without fitted parameters
├── CheckpointNotFoundError (FileNotFoundError)
├── WeightsIntegrityError                    a weights file whose sha256 is not the expected one
├── DatasetError (ValueError)                a dataset folder or manifest that cannot be read as labelled data
│   └── UnknownLayoutError                   a folder that matches no known dataset layout
├── DatasetNotFoundError (FileNotFoundError) a dataset path that does not exist
└── CorpusError                              the training-corpus builder (veracity.detector.trainingdata.corpus.errors)
"""

from __future__ import annotations


class DetectorError(Exception):
    """Base class of every error raised by `detector`."""


class RegistryLookupError(DetectorError, LookupError):
    """A name that is not registered, or a lazy target that cannot be imported."""

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError does not, keep it plain
        return str(self.args[0]) if self.args else ""


class DuplicateRegistrationError(DetectorError, ValueError):
    """A registry name is already bound to a different target."""


class DetectorConfigError(DetectorError, ValueError):
    """A detector configuration value is invalid."""


class DetectorNotFittedError(DetectorError, ValueError):
    """A trainable detector was asked to predict before being fitted or loaded."""


class CheckpointNotFoundError(DetectorError, FileNotFoundError):
    """A checkpoint or saved-detector path does not exist."""


class WeightsIntegrityError(DetectorError):
    """A weights file does not have the sha256 its configuration expects."""


class DatasetError(DetectorError, ValueError):
    """A dataset folder or manifest that cannot be read as a labelled dataset."""


class UnknownLayoutError(DatasetError):
    """A folder that matches none of the known dataset layouts."""


class DatasetNotFoundError(DetectorError, FileNotFoundError):
    """A dataset path that does not exist."""
