"""The detector `veracity check` and `veracity scan` use unless told otherwise (see detector/MODEL_CARD.md)."""

DEFAULT_DETECTOR = "npr_mnv3s.v1"
