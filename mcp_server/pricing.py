"""Trip pricing: one pure function, the brief's rule.

Transport is per traveller (round trip); the hotel is per room per night; a room holds
`travelers_per_room` travellers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from mcp_server.catalog import Destination


@dataclass(frozen=True)
class Price:
    destination: str
    trip_type: str
    nights: int
    travelers: int
    rooms: int
    transport_jpy: int  # for all travellers
    hotel_jpy: int  # for all rooms and nights
    total_jpy: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.destination}, {self.trip_type}, {self.nights} night{'s' if self.nights != 1 else ''}, "
            f"{self.travelers} traveller{'s' if self.travelers != 1 else ''} ({self.rooms} room{'s' if self.rooms != 1 else ''}): "
            f"transport ¥{self.transport_jpy:,} + hotel ¥{self.hotel_jpy:,} = ¥{self.total_jpy:,}"
        )


def price_trip(
    destination: Destination, trip_type: str, nights: int, travelers: int, travelers_per_room: int = 2
) -> Price:
    """Price a trip. Inputs are already validated (see flow.validate_*)."""
    rooms = math.ceil(travelers / travelers_per_room)
    transport = destination.transport_jpy * travelers
    hotel = destination.hotel_jpy * nights * rooms
    return Price(
        destination=destination.name,
        trip_type=trip_type,
        nights=nights,
        travelers=travelers,
        rooms=rooms,
        transport_jpy=transport,
        hotel_jpy=hotel,
        total_jpy=transport + hotel,
    )
