"""The metadata signal on files made in the test, one per generator convention, and on real wild-dev files."""

from __future__ import annotations

import csv
import json

import pytest

from tests.images import jpeg_with_exif, jpeg_with_xmp, png_with_text
from veracity.provenance import analyze, labels, load_asset
from veracity.provenance.metadata.signal import read_metadata_signal
from veracity.provenance.sourcetypes import SOURCE_TYPES, list_source_types, lookup_source_type

A1111 = (
    "a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"
    "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: v1-5"
)
COMFY_PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 5}}, "4": {"class_type": "VAEDecode"}})
COMFY_WORKFLOW = json.dumps({"last_node_id": 9, "nodes": [{"id": 3, "type": "KSampler"}]})
NOVELAI_COMMENT = json.dumps({"prompt": "cat", "steps": 28, "sampler": "k_euler", "seed": 1, "n_samples": 1})


@pytest.mark.parametrize(
    ("chunks", "kind"),
    [
        ({"parameters": A1111}, "generator.automatic1111"),
        ({"prompt": COMFY_PROMPT}, "generator.comfyui"),
        ({"workflow": COMFY_WORKFLOW}, "generator.comfyui"),
        ({"invokeai_metadata": json.dumps({"model": {"name": "sdxl"}, "seed": 3})}, "generator.invokeai"),
        ({"Software": "NovelAI", "Comment": NOVELAI_COMMENT}, "generator.novelai"),
        ({"Description": "Job ID: 5f2b7c1e-8d3a-4b6f-9e2d-1a2b3c4d5e6f"}, "generator.midjourney"),
        ({"prompt": "a red fox in snow", "seed": "42"}, "generator.text_to_image"),
        (
            {"parameters": json.dumps({"prompt": "x", "base_model": "juggernaut", "fooocus_v2": True})},
            "generator.fooocus",
        ),
    ],
)
def test_generator_text_chunks_declare_generation(tmp_path, chunks, kind, validate_record):
    path = png_with_text(tmp_path / "gen.png", chunks)
    report = analyze(path)
    validate_record(report)
    assert report.verdict.label == labels.GENERATED
    assert report.verdict.deciding_signal == labels.METADATA
    finding = report.signal(labels.METADATA).findings[0]
    assert finding.kind == kind
    assert finding.where.startswith("PNG text chunk")
    assert finding.implies == labels.IMPLIES_GENERATED


@pytest.mark.parametrize(
    ("tags", "where"),
    [
        ({0x927C: "OpenAI--ImageGeneration--173633", 0x9286: "Made with OpenAI Labs"}, "MakerNote"),
        ({0x0131: "Adobe Firefly"}, "Software"),
        ({0x0110: "stable-diffusion-v1", 0x0131: "stability.ai"}, "Model"),
        ({0x0131: "Midjourney 6.1"}, "Software"),
    ],
)
def test_generator_exif_declares_generation(tmp_path, tags, where):
    report = analyze(jpeg_with_exif(tmp_path / "gen.jpg", tags))
    assert report.verdict.label == labels.GENERATED
    assert where in report.signal(labels.METADATA).findings[0].where


@pytest.mark.parametrize("code", list_source_types())
def test_every_iptc_source_type_is_mapped(tmp_path, code):
    path = jpeg_with_xmp(tmp_path / "dst.jpg", {"Iptc4xmpExt:DigitalSourceType": SOURCE_TYPES[code].uri})
    report = analyze(path)
    finding = next(f for f in report.signal(labels.METADATA).findings if f.kind == "iptc.digital_source_type")
    assert finding.implies == SOURCE_TYPES[code].implies
    assert SOURCE_TYPES[code].words in finding.meaning
    expected = {labels.IMPLIES_GENERATED: labels.GENERATED, labels.IMPLIES_AI_EDITED: labels.AI_EDITED}
    # A capture claim in metadata is context: only a trusted Content Credential decides "captured".
    assert report.verdict.label == expected.get(finding.implies, labels.INCONCLUSIVE)


def test_source_type_lookup_accepts_uris_and_codes():
    assert lookup_source_type("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia").code == (
        "trainedAlgorithmicMedia"
    )
    assert lookup_source_type("compositeSynthetic").implies == labels.IMPLIES_AI_EDITED
    assert lookup_source_type("algorithmicMedia").implies == labels.IMPLIES_NOTHING  # not trained: not AI
    assert lookup_source_type("somethingElse") is None


def test_iptc_ai_system_property_declares_generation(tmp_path):
    path = jpeg_with_xmp(tmp_path / "ai.jpg", {"Iptc4xmpExt:AISystemUsed": "Imagen 3"})
    assert analyze(path).verdict.label == labels.GENERATED


def test_camera_exif_is_context_not_proof(tmp_path, validate_record):
    path = jpeg_with_exif(
        tmp_path / "camera.jpg",
        {0x010F: "Canon", 0x0110: "Canon EOS 5D", 0x0131: "Adobe Photoshop 25.0"},
        exif_ifd={0x9003: "2024:05:01 10:00:00", 0xA434: "EF 50mm f/1.8"},
    )
    report = analyze(path)
    validate_record(report)
    signal = report.signal(labels.METADATA)
    kinds = {f.kind: f for f in signal.findings}
    assert kinds["exif.camera"].value == "Canon Canon EOS 5D"
    assert kinds["exif.camera"].implies == labels.IMPLIES_NOTHING
    assert kinds["exif.software"].implies == labels.IMPLIES_EDITED
    assert "exif.datetimeoriginal" in kinds and "exif.lensmodel" in kinds
    assert report.verdict.label == labels.INCONCLUSIVE


@pytest.mark.parametrize(
    "chunks",
    [
        {"Comment": "a prompt reply from my editor"},
        {"Description": "holiday photo, seed catalogue"},
        {"prompt": "{not json"},
        {"parameters": "Exposure: 1/200"},
    ],
)
def test_ordinary_text_is_not_taken_for_a_generator(tmp_path, chunks):
    report = analyze(png_with_text(tmp_path / "plain.png", chunks))
    assert report.verdict.label == labels.INCONCLUSIVE


def test_no_metadata_is_absent_not_evidence(tmp_path):
    path = png_with_text(tmp_path / "bare.png", {})
    signal = read_metadata_signal(load_asset(path))
    assert signal.status == labels.ABSENT
    assert analyze(path).verdict.label == labels.INCONCLUSIVE


def test_hostile_xmp_with_entities_is_ignored(tmp_path):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="&b;"/></rdf:RDF></x:xmpmeta>'
    )
    from tests.images import textured

    path = tmp_path / "entity.jpg"
    textured().save(path, "JPEG", xmp=bomb)
    report = analyze(path)
    assert report.verdict.label == labels.INCONCLUSIVE
    assert report.signal(labels.METADATA).status in (labels.ABSENT, labels.FOUND)


@pytest.mark.slow
def test_wild_dev_declared_generators_and_no_real_photo(shared, validate_record):
    """Every wild-dev file whose metadata declares a generator is `generated` by metadata; no real photo is."""
    root = shared / "data" / "wild-dev"
    rows = list(csv.DictReader((root / "manifest.csv").open()))
    generated = {"real": [], "fake": []}
    for row in rows:
        report = analyze(root / row["file"], options=None)
        validate_record(report)
        if report.verdict.label in (labels.GENERATED, labels.AI_EDITED):
            assert report.verdict.deciding_signal == labels.METADATA
            generated[row["label"]].append(row["file"])
    assert generated["real"] == []
    by_generator = sorted(f.split("/")[1] for f in generated["fake"])
    # DALL-E 2 EXIF markers (9), ComfyUI prompt/workflow (1), stable-diffusion EXIF (1), prompt/seed chunks (2).
    assert by_generator.count("dalle2") == 9
    assert by_generator.count("hunyuan-dit") == 1
    assert by_generator.count("sd1.x") == 1
    assert by_generator.count("diffusion-unspecified") == 2
    assert len(by_generator) == 13


def test_xmp_list_items_are_named_after_their_property():
    from veracity.provenance.metadata.xmp import read_xmp_properties

    items = "".join(f"<rdf:li>keyword {i}</rdf:li>" for i in range(3000))
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">A title</rdf:li></rdf:Alt></dc:title>'
        f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    found = read_xmp_properties(packet)
    assert found[0].name == "dc:title" and found[0].value == "A title"
    assert len(found) == 2000  # capped; every item keeps the name of the list's property
    assert {p.name for p in found[1:]} == {"dc:subject"} and found[-1].value == "keyword 1998"
