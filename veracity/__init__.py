"""veracity: tell whether an image came from a camera or a generative model, and who vouches for it.

The public API, in a few calls (names load on first use, so ``import veracity`` is instant)::

    import veracity

    report = veracity.check("photo.jpg")          # the same answer as `veracity check photo.jpg`
    print(report.verdict.label, report.verdict.reasons)

    veracity.scan(["uploads/"], "results.jsonl")  # resumable batch scan, as `veracity scan`
    result = veracity.read_credentials("signed.jpg")  # C2PA state, signer, actions, AI declarations

Everything else lives in the subpackages: `veracity.provenance` (signals, fusion, reports, C2PA),
`veracity.detector` (pixel detectors, training), `veracity.benchmarks` (scan engines, the research
harness, speed scripts) and `veracity.cli` (the command line).
"""

from __future__ import annotations

from veracity._lazy import lazy_exports

_EXPORTS = {
    "DEFAULT": "veracity.api",
    "AnalysisOptions": "veracity.provenance.options",
    "BenchmarkError": "veracity.benchmarks.errors",
    "DetectorError": "veracity.detector.errors",
    "ErrorRecord": "veracity.provenance.report",
    "Limits": "veracity.provenance.assets.asset",
    "ManifestResult": "veracity.provenance.credentials.reader",
    "ProvenanceError": "veracity.provenance.errors",
    "Report": "veracity.provenance.report",
    "ScanOptions": "veracity.benchmarks.scan.settings",
    "ScanSettings": "veracity.benchmarks.scan.settings",
    "ScanSummary": "veracity.benchmarks.scan.summary",
    "TrustSettings": "veracity.provenance.credentials.trust",
    "Verdict": "veracity.provenance.fusion.verdict",
    "analyze": "veracity.provenance.pipeline",
    "check": "veracity.api",
    "check_or_error": "veracity.api",
    "create_detector": "veracity.detector.registry",
    "list_detectors": "veracity.detector.registry",
    "read_credentials": "veracity.provenance.credentials.reader:read_manifest",
    "run_benchmark": "veracity.benchmarks.harness.runner",
    "scan": "veracity.benchmarks.scan.run:run_scan",
    "sign_file": "veracity.provenance.credentials.signing",
    "verify_credentials": "veracity.provenance.credentials.reader:verify_manifest",
}

__all__ = sorted([*_EXPORTS, "__version__"])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


def _version() -> str:
    from veracity.provenance.versions import package_version

    return package_version("veracity", "0+unknown")


__version__ = _version()
