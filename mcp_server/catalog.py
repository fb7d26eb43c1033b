"""The destination catalogue: a data file, loaded and validated once.

More destinations are added by editing the JSON file (or pointing `catalog` in the server
config at another file), never by changing code. Each destination has `aliases` (other spellings
of its name), `places` (well-known cities and areas inside it: "Sapporo" plans Hokkaido, with a
note saying so) and an optional `ja` block with its Japanese name, highlights and food.
`other_places` names well-known places that are no destination here (used to spot sampled
recommendations about another trip).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mcp_server.errors import CatalogError


@dataclass(frozen=True)
class Localized:
    """A destination's words in one language (English is the catalogue's own)."""

    name: str
    highlights: tuple[str, ...]
    local_food: tuple[str, ...]


@dataclass(frozen=True)
class Destination:
    name: str
    aliases: tuple[str, ...]
    transport_jpy: int
    hotel_jpy: int
    highlights: tuple[str, ...]
    local_food: tuple[str, ...]
    places: tuple[str, ...] = ()
    translations: dict[str, Localized] = field(default_factory=dict, hash=False)

    @property
    def native_name(self) -> str | None:
        """The Japanese name: the `ja` block's, else the first non-ASCII alias."""
        if "ja" in self.translations:
            return self.translations["ja"].name
        return next((alias for alias in self.aliases if not alias.isascii()), None)

    @property
    def label(self) -> str:
        """English name with the Japanese one, e.g. "Kyoto (京都)"."""
        return self.label_in("en")

    def label_in(self, language: str) -> str:
        """"Kyoto (京都)" in English, "京都 (Kyoto)" in Japanese."""
        native = self.native_name
        if not native:
            return self.name
        return f"{native} ({self.name})" if language == "ja" else f"{self.name} ({native})"

    def words(self, language: str) -> Localized:
        """Name, highlights and food in `language`, English where the catalogue has no translation."""
        english = Localized(self.name, self.highlights, self.local_food)
        return self.translations.get(language, english)


@dataclass(frozen=True)
class Match:
    """What a user's text named: a destination, and the place inside it when it was one."""

    destination: Destination
    place: str | None = None


@dataclass(frozen=True)
class TripType:
    name: str
    title: str
    travelers: int | None  # fixed head count (solo = 1, couple = 2), or None when it varies
    titles: dict[str, str] = field(default_factory=dict, hash=False)  # by language; `title` is the English one

    def title_in(self, language: str) -> str:
        return self.titles.get(language, self.title)


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
    other_places: tuple[str, ...] = ()

    def lookup(self, text: str) -> Match | None:
        """What a user meant by `text` (name, alias or a place inside; any case or width), or None."""
        key = normalize_name(text)
        for destination in self.destinations:
            if key in {normalize_name(destination.name), *(normalize_name(alias) for alias in destination.aliases)}:
                return Match(destination)
        for destination in self.destinations:
            place = next((p for p in destination.places if normalize_name(p) == key), None)
            if place is not None:
                return Match(destination, place)
        return None

    def resolve(self, text: str) -> Destination | None:
        """The destination a user meant by `text`, or None (see `lookup`)."""
        match = self.lookup(text)
        return match.destination if match else None

    def trip_type(self, text: str) -> TripType | None:
        key = normalize_name(text)
        for trip_type in self.trip_types.values():
            titles = {trip_type.title, *trip_type.titles.values()}
            if key in {trip_type.name, *(normalize_name(title) for title in titles)}:
                return trip_type
        return None

    @property
    def destination_names(self) -> list[str]:
        return [destination.name for destination in self.destinations]


def normalize_name(text: str) -> str:
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
            places=tuple(item.get("places", ())),
            translations={
                language: Localized(
                    name=words["name"],
                    highlights=tuple(words.get("highlights", item["highlights"])),
                    local_food=tuple(words.get("local_food", item["local_food"])),
                )
                for language, words in _translations(item).items()
            },
        )
        for item in data["destinations"]
    )
    if not destinations:
        raise ValueError("no destinations")
    trip_types = {
        name: TripType(
            name=name,
            title=item["title"],
            travelers=item.get("travelers"),
            titles={language: words["title"] for language, words in _translations(item).items()},
        )
        for name, item in data["trip_types"].items()
    }
    return Catalog(
        currency=data.get("currency", "JPY"),
        nights=Range(**data["nights"]),
        travelers=Range(**data["travelers"]),
        travelers_per_room=int(data.get("travelers_per_room", 2)),
        trip_types=trip_types,
        destinations=destinations,
        other_places=tuple(data.get("other_places", ())),
    )


def _translations(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-language blocks of a catalogue entry (so far `ja`)."""
    return {language: item[language] for language in ("ja",) if language in item}
