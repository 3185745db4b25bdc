"""The trained real-vs-generated classifier: registry, configs, models, inference and training.

Importing this package stays light: torch and timm load only when a model is created or trained.
"""

__all__: list[str] = []
