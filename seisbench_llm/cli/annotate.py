"""``seisbench-llm annotate``: P and S picks for waveform files, outputs checked before any work."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seisbench_llm.cli.common import (
    PROG,
    CommandError,
    add_model_options,
    one_line,
    wrap,
)
from seisbench_llm.models.loading import ModelLoadError, load_model, ready_for_annotation
from seisbench_llm.models.picks import separation_args
from seisbench_llm.picks_io import (
    PICK_COLUMNS,
    annotate_and_pick,
    component_order,
    plot_station,
    station_key,
    write_picks_csv,
    write_quakeml,
)


def _load_model(name: str, spec: str) -> Any:
    """:py:func:`seisbench_llm.models.loading.load_model` (picking weights), errors as CommandError."""
    try:
        return load_model(name, spec)
    except ModelLoadError as error:
        raise CommandError(str(error)) from error


def _collect_files(paths: Sequence[str], recursive: bool) -> tuple[list[Path], list[str]]:
    """Files named by ``paths`` (folders expanded, sorted) and one problem line per bad path."""
    files: list[Path] = []
    problems: list[str] = []
    for spec in paths:
        path = Path(spec).expanduser()
        if path.is_dir():
            entries = path.rglob("*") if recursive else path.iterdir()
            found = sorted(p for p in entries if p.is_file())
            if not found:
                hint = "" if recursive else " (use --recursive for subfolders)"
                problems.append(f"{spec}: folder holds no files{hint}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{spec}: no such file or folder")
    unique = list(dict.fromkeys(files))
    return unique, problems


#: Files ``annotate`` writes into ``--out`` besides the plots; ``run.json`` lists everything written.
RUN_FILES = ("picks.csv", "run.json")


def _prepare_out(args: argparse.Namespace) -> Path:
    """Check ``--out`` (and ``--quakeml``) before any work: writable, no earlier run unless
    ``--overwrite`` (then the earlier run's files are removed)."""
    import json

    from seisbench_llm.outputs import OutputError, check_output_dir

    try:
        out_dir = check_output_dir(args.out, "--out", files=RUN_FILES)
        if args.quakeml:
            quakeml = Path(args.quakeml).expanduser()
            check_output_dir(quakeml.parent, "--quakeml folder", files=[quakeml.name])
    except OutputError as error:
        raise CommandError(str(error)) from error
    manifest = out_dir / "run.json"
    earlier = [name for name in RUN_FILES if (out_dir / name).exists()]
    if earlier and not args.overwrite:
        raise CommandError(
            f"--out {out_dir} holds an earlier run ({', '.join(earlier)}); pass --overwrite to "
            "replace it, or choose another folder"
        )
    if earlier:
        try:
            written = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError, AttributeError):
            written = []
        for name in {*written, *RUN_FILES}:
            path = out_dir / Path(str(name)).name  # only files directly in --out
            if path.is_file():
                path.unlink()
    return out_dir


def _read_stream(paths: Sequence[str], recursive: bool) -> tuple[Any, dict, int, int]:
    """Read every waveform file: the combined stream, ``{station: [(start, end, file)]}``, the
    number of files read and skipped (each skipped one reported on stderr)."""
    import obspy

    files, problems = _collect_files(paths, recursive)
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not files:
        raise CommandError("no file to annotate among the given paths")
    stream = obspy.Stream()
    sources: dict[str, list[tuple[Any, Any, str]]] = {}
    n_read, n_skipped = 0, len(problems)
    for path in files:
        try:
            part = obspy.read(str(path))
        except Exception as error:  # ObsPy raises TypeError, ValueError, struct.error, ...
            print(f"skipped {path}: not readable by ObsPy ({one_line(error)})", file=sys.stderr)
            n_skipped += 1
            continue
        if len(part) == 0:
            print(f"skipped {path}: no traces", file=sys.stderr)
            n_skipped += 1
            continue
        n_read += 1
        for tr in part:
            sources.setdefault(station_key(tr), []).append(
                (tr.stats.starttime, tr.stats.endtime, str(path))
            )
        stream += part
    if n_read == 0:
        raise CommandError(f"none of the {len(files)} file(s) could be read by ObsPy")
    return stream, sources, n_read, n_skipped


def _annotate_args(model: Any, args: argparse.Namespace) -> tuple[dict, dict[str, float]]:
    """Annotate arguments from the options (merged with the weights' defaults) and the P/S
    thresholds they imply."""
    kwargs: dict[str, Any] = {}
    for phase in ("P", "S"):
        value = getattr(args, f"{phase}_threshold")
        if value is not None:
            kwargs[f"{phase}_threshold"] = value
    if args.batch_size is not None:
        kwargs["batch_size"] = args.batch_size
    try:
        kwargs.update(separation_args(model, args.ps_separation))
    except ValueError as error:
        raise CommandError(f"--ps-separation: {error}") from error
    argdict = {**model.default_args, **kwargs}  # as in SeisBench's classify
    default_threshold = model._annotate_args.get("*_threshold", (None, 0.3))[1]
    thresholds = {p: float(argdict.get(f"{p}_threshold", default_threshold)) for p in ("P", "S")}
    return argdict, thresholds


def _run_annotate(args: argparse.Namespace) -> int:
    import json

    import obspy
    import torch

    from seisbench_llm.outputs import atomic_write

    out_dir = _prepare_out(args)
    stream, sources, n_read, n_skipped = _read_stream(args.paths, args.recursive)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise CommandError("--device cuda: no CUDA device is available here; use --device cpu")
    model = _load_model(args.model, args.weights).to(device).eval()
    try:
        model = ready_for_annotation(model, args.precision)
    except ValueError as error:
        raise CommandError(str(error)) from error
    print(f"{args.model} on {device}, precision {getattr(model, 'precision', 'float32')}")
    argdict, thresholds = _annotate_args(model, args)

    title = f"{args.model} '{args.weights}'"
    all_picks: list[Any] = []
    channels: dict[str, list[str]] = {}
    plots: list[str] = []
    n_stations = n_failed = n_empty = 0
    stations: dict[str, obspy.Stream] = {}
    for tr in stream:
        stations.setdefault(station_key(tr), obspy.Stream()).append(tr)
    for key, waveforms in sorted(stations.items()):
        channels[key] = sorted({tr.stats.channel for tr in waveforms}, key=component_order)
        try:
            annotations, picks = annotate_and_pick(model, waveforms, argdict)
        except Exception as error:  # one bad station (e.g. mixed sampling rates) stops nothing
            print(f"station {key} not annotated: {one_line(error)}", file=sys.stderr)
            n_failed += 1
            continue
        n_stations += 1
        if len(annotations) == 0:
            window = model.in_samples / model.sampling_rate
            print(
                f"station {key}: no annotations (traces shorter than the model's {window:g} s "
                "window, or too fragmented)",
                file=sys.stderr,
            )
            n_empty += 1
        all_picks += picks
        if args.plot:
            name = re.sub(r"[^A-Za-z0-9._-]", "_", key.rstrip(".")) + ".png"
            try:
                with atomic_write(out_dir / name) as tmp:
                    plot_station(tmp, key, waveforms, annotations, picks, thresholds, title)
            except OSError as error:
                raise CommandError(f"cannot write {out_dir / name}: {error}") from error
            plots.append(name)
    if n_stations == 0:
        raise CommandError(f"no station could be annotated ({n_failed} failed)")

    all_picks.sort(key=lambda p: (p.trace_id, p.peak_time or p.start_time, str(p.phase)))
    csv_path = out_dir / "picks.csv"
    try:
        with atomic_write(csv_path) as tmp:
            write_picks_csv(tmp, all_picks, sources)
        with atomic_write(out_dir / "run.json") as tmp:
            run = {"command": "annotate", "model": args.model, "weights": args.weights}
            run["files"] = ["picks.csv", *plots]
            tmp.write_text(json.dumps(run, indent=2), encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write into {out_dir}: {error}") from error
    counts = {"P": 0, "S": 0}
    for pick in all_picks:
        counts[pick.phase] = counts.get(pick.phase, 0) + 1
    print(f"Files: {n_read} read, {n_skipped} skipped")
    failed = f", {n_failed} failed" if n_failed else ""
    failed += f", {n_empty} without annotations" if n_empty else ""
    print(f"Stations: {n_stations} annotated{failed} ({args.model} weights '{args.weights}')")
    per_phase = ", ".join(f"{phase} {n}" for phase, n in counts.items())
    print(f"Picks: {len(all_picks)} ({per_phase})")
    print(f"Wrote {csv_path}")
    if args.quakeml:
        quakeml = Path(args.quakeml).expanduser()
        thresholds_text = ", ".join(f"{p} {t:g}" for p, t in thresholds.items())
        description = (
            f"Automatic picks by seisbench-llm annotate: {args.model} weights '{args.weights}', "
            f"thresholds {thresholds_text}"
        )
        try:
            with atomic_write(quakeml) as tmp:
                write_quakeml(tmp, all_picks, channels, description)
        except OSError as error:
            raise CommandError(f"cannot write {quakeml}: {error}") from error
        print(f"Wrote {quakeml} (QuakeML, one event with {len(all_picks)} picks)")
    if args.plot:
        print(f"Wrote {len(plots)} plot(s) to {out_dir}")
    return 0


def add_annotate_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``annotate PATH [PATH ...] --model MODEL --weights NAME [--out DIR] ...``."""
    parser = subparsers.add_parser(
        "annotate",
        help="pick P and S phases in waveform files (miniSEED, SAC, ...)",
        description=wrap(
            "Pick P and S phases in waveform files with a picking model. PATHs are files ObsPy "
            "can read (miniSEED, SAC, GSE2, ...) or folders (every file inside; subfolders with "
            "--recursive); files ObsPy cannot read are reported on stderr and skipped. All traces "
            "are combined and annotated station by station (NET.STA.LOC, every channel of the "
            "station), as the model's classify would. Written into --out: picks.csv (columns "
            f"{', '.join(PICK_COLUMNS)}; times in ISO 8601, UTC), with --plot one PNG per "
            "station; with --quakeml a QuakeML file with one event holding all picks; run.json lists "
            "the files written. --out is checked before anything is read: it must be writable "
            "and must not hold an earlier run (picks.csv or run.json) unless --overwrite is "
            "given. Every file is written under a temporary name and renamed when complete."
        ),
        epilog=wrap(
            "--weights is a weight name from the local registry (see `seisbench-llm list`; "
            "SeisMoLLM and SeisMoE load them offline) or a path to a SeisBench weight pair: "
            "DIR/NAME for DIR/NAME.json + DIR/NAME.pt, or either file (DIR/NAME.json.v2 for a "
            "versioned pair)."
        )
        + (
            f"\n\nexamples:\n  {PROG} annotate data/*.mseed --model SeisMoLLM --weights stead\n"
            f"  {PROG} annotate /data/2024 --recursive --model PhaseNet \\\n"
            "      --weights ./phasenet_run --out picks --plot\n"
            f"  {PROG} annotate day.mseed --model SeisMoE --weights mine --P-threshold 0.2 \\\n"
            "      --quakeml picks.xml --device cuda --batch-size 512"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", metavar="PATH", nargs="+", help="waveform file or folder of waveform files"
    )
    add_model_options(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="seisbench_llm_picks",
        help="output folder, created if needed; checked before any work (writable, no earlier "
        "run unless --overwrite) (default: ./%(default)s)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier run in --out (its picks.csv, run.json and plots are removed)",
    )
    parser.add_argument(
        "--quakeml", metavar="FILE", default=None, help="also write the picks as QuakeML to FILE"
    )
    parser.add_argument(
        "--plot",
        action="store_true",
        help="write one PNG per station: waveforms, P/S probabilities, picks",
    )
    parser.add_argument(
        "--recursive", action="store_true", help="also read files in subfolders of folder PATHs"
    )
    parser.set_defaults(func=_run_annotate)
