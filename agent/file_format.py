"""The base of every file format's model (scenario, playback, answers): an unknown key is an error."""

from pydantic import BaseModel, ConfigDict


class FileFormat(BaseModel):
    """A part of a file the user wrote: unknown keys are refused (a typo must not pass silently); read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)
