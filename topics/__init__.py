"""topics package: the wire contracts (see `config.native` for its compiled build)."""

from config.native import search_path

__path__ = search_path(__name__, __path__)
