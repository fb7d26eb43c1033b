"""The destination catalogue: a data file, loaded and validated once.

More destinations are added by editing the JSON file (or pointing `catalog` in the server
config at another file), never by changing code.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mcp_server.errors import CatalogError


@dataclass(frozen=True)
class Destination:
    name: str
    aliases: tuple[str, ...]
    transport_jpy: int
    hotel_jpy: int
    highlights: tuple[str, ...]
    local_food: tuple[str, ...]

    @property
    def label(self) -> str:
        """English name with the first Japanese alias, e.g. "Kyoto (京都)"."""
        native = next((alias for alias in self.aliases if not alias.isascii()), None)
        return f"{self.name} ({native})" if native else self.name


@dataclass(frozen=True)
class TripType:
    name: str
    title: str
    travelers: int | None  # fixed head count (solo = 1, couple = 2), or None when it varies


@dataclass(frozen=True)
class Range:
    minimum: int
    maximum: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class Catalog:
    currency: str
    nights: Range
    travelers: Range
    travelers_per_room: int
    trip_types: dict[str, TripType]
    destinations: tuple[Destination, ...]

    def resolve(self, text: str) -> Destination | None:
        """The destination a user meant by `text` (name or alias, any case or width), or None."""
        key = _normalize(text)
        for destination in self.destinations:
            if key in {_normalize(destination.name), *(_normalize(alias) for alias in destination.aliases)}:
                return destination
        return None

    def trip_type(self, text: str) -> TripType | None:
        key = _normalize(text)
        for trip_type in self.trip_types.values():
            if key in {trip_type.name, _normalize(trip_type.title)}:
                return trip_type
        return None

    @property
    def destination_names(self) -> list[str]:
        return [destination.name for destination in self.destinations]


def _normalize(text: str) -> str:
    # NFKC folds full-width letters ("ＫＹＯＴＯ") and half-width kana into their usual forms.
    return unicodedata.normalize("NFKC", text).strip().casefold()


def load_catalog(path: Path | None = None) -> Catalog:
    """Load the catalogue from `path`, or the bundled `data/catalog.json`.

    Raises:
        CatalogError: the file is missing, not JSON, or misses a required field.
    """
    try:
        if path is None:
            raw = resources.files("mcp_server").joinpath("data/catalog.json").read_text(encoding="utf-8")
        else:
            raw = Path(path).read_text(encoding="utf-8")
        data = json.loads(raw)
        return _parse(data)
    except OSError as error:
        raise CatalogError(f"cannot read catalogue {path}: {error.strerror}") from error
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise CatalogError(f"catalogue {path or 'data/catalog.json'} is invalid: {error!r}") from error


def _parse(data: dict[str, Any]) -> Catalog:
    destinations = tuple(
        Destination(
            name=item["name"],
            aliases=tuple(item.get("aliases", ())),
            transport_jpy=int(item["transport_jpy"]),
            hotel_jpy=int(item["hotel_jpy"]),
            highlights=tuple(item["highlights"]),
            local_food=tuple(item["local_food"]),
        )
        for item in data["destinations"]
    )
    if not destinations:
        raise ValueError("no destinations")
    trip_types = {
        name: TripType(name=name, title=item["title"], travelers=item.get("travelers"))
        for name, item in data["trip_types"].items()
    }
    return Catalog(
        currency=data.get("currency", "JPY"),
        nights=Range(**data["nights"]),
        travelers=Range(**data["travelers"]),
        travelers_per_room=int(data.get("travelers_per_room", 2)),
        trip_types=trip_types,
        destinations=destinations,
    )
