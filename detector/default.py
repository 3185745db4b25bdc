"""The detector `veracity check` and `veracity scan` use unless told otherwise (see detector/MODEL_CARD.md)."""

DEFAULT_DETECTOR = "probe_mnv2.v3"
