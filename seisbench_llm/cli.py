"""The ``seisbench-llm`` command line.

Each subcommand is one ``add_<name>_parser(subparsers)`` function listed in :py:data:`COMMANDS`:
it adds its parser and sets ``func`` (called with the parsed arguments, returning an exit code).
Adding a subcommand means writing such a function and appending it to :py:data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seisbench_llm.picking.cli import add_pick_parser
from seisbench_llm.picks_io import (
    PICK_COLUMNS,
    annotate_and_pick,
    component_order,
    plot_station,
    station_key,
    write_picks_csv,
    write_quakeml,
)

PROG = "seisbench-llm"


class CommandError(Exception):
    """An error to report to the user as one line on stderr, without a traceback."""


def _run_convert_diting(args: argparse.Namespace) -> int:
    from seisbench_llm.data.diting import convert_diting

    try:
        summary = convert_diting(
            args.src,
            args.dst,
            light=args.light,
            split_fractions=tuple(args.fractions),
            seed=args.seed,
            split_by=args.split_by,
            split_column=args.split_column,
            parts=args.parts,
            overwrite=args.overwrite,
            progress=not args.no_progress,
            verbose=True,
        )
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        raise CommandError(str(error)) from error
    if summary.written == 0:
        raise CommandError("no trace was converted (see the summary above)")
    print(f"Dataset written to {summary.destination}")
    return 0


def add_convert_diting_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``convert-diting SRC [DST] [--light] [--seed N] ...``."""
    from seisbench_llm.data.diting import default_diting_path

    parser = subparsers.add_parser(
        "convert-diting",
        help="convert the original DiTing files into a SeisBench dataset",
        description=(
            "Convert the original DiTing files (DiTing330km_part_{0..27}.csv and .hdf5; DiTing "
            "is not public, it is distributed on application by the China Earthquake Networks "
            "Center) into a SeisBench dataset: metadata.csv + waveforms.hdf5, components ZNE, "
            "50 Hz, 9000 samples, magnitudes converted to ML, a train/dev/test split. Rows that "
            "cannot be used are counted per reason in the summary printed at the end. Read the "
            "result with seisbench_llm.data.DiTing(DST)."
        ),
        epilog=(
            f"examples:\n  {PROG} convert-diting /data/DiTing ~/diting_sb\n"
            f"  {PROG} convert-diting /data/DiTing --light    "
            "# into the SeisBench cache: DiTing(light=True)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("src", metavar="SRC", help="folder with the original DiTing part files")
    parser.add_argument(
        "dst",
        metavar="DST",
        nargs="?",
        default=None,
        help=(
            "output folder (default: the SeisBench cache, "
            f"{default_diting_path(False)} or {default_diting_path(True)} with --light)"
        ),
    )
    parser.add_argument(
        "--light",
        action="store_true",
        help=(
            "keep only DiTing-light traces: every field filled, known polarity, known magnitude "
            "type, 0 < P < S < 9000"
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the random split (default: %(default)s)"
    )
    parser.add_argument(
        "--fractions",
        type=float,
        nargs=3,
        default=(0.8, 0.1, 0.1),
        metavar=("TRAIN", "DEV", "TEST"),
        help="split fractions (default: 0.8 0.1 0.1)",
    )
    parser.add_argument(
        "--split-by",
        choices=("trace", "event"),
        default="trace",
        help="split randomly by trace (as SeisMoLLM/SeisT) or by event (default: %(default)s)",
    )
    parser.add_argument(
        "--split-column",
        metavar="COLUMN",
        default=None,
        help="take the split from this CSV column (train/dev/test, val = dev) instead",
    )
    parser.add_argument(
        "--parts",
        type=int,
        nargs="+",
        metavar="N",
        default=None,
        help="convert only these part numbers (default: all, absent parts are reported)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing dataset in DST"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=_run_convert_diting)


# ---------------------------------------------------------------------------------- annotate
#: Models ``annotate`` and ``list`` know, by class name.
MODEL_NAMES = ("SeisMoLLM", "SeisMoE", "EQTransformer", "PhaseNet")
_WEIGHT_FILE_RE = re.compile(r"(?P<base>.+)\.(?:json|pt)(?:\.v(?P<version>[0-9][0-9.]*))?")


def _wrap(*paragraphs: str) -> str:
    """Help text: each paragraph filled to 88 columns, separated by blank lines."""
    import textwrap

    return "\n\n".join(textwrap.fill(text, 88) for text in paragraphs)


def _one_line(error: BaseException) -> str:
    """``Type: first line of the message`` of an exception."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _model_name(value: str) -> str:
    """Argparse type: a model name of :py:data:`MODEL_NAMES`, case-insensitive."""
    canonical = {name.lower(): name for name in MODEL_NAMES}
    return canonical.get(value.lower(), value)  # anything else is rejected by ``choices``


def _positive_int(value: str) -> int:
    """Argparse type: an integer >= 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _probability(value: str) -> float:
    """Argparse type: a threshold in (0, 1]."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 < number <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {number}")
    return number


def _model_class(name: str) -> type:
    """The model class called ``name`` (one of :py:data:`MODEL_NAMES`)."""
    if name in ("SeisMoLLM", "SeisMoE"):
        import seisbench_llm

        return getattr(seisbench_llm, name)
    import seisbench.models as sbm

    return getattr(sbm, name)


def _weight_files(spec: str) -> tuple[Path, str | None] | None:
    """Where ``--weights`` names weight files: their base path and version, else None.

    A value with a path separator or ending in ``.json``/``.pt`` (optionally ``.v<N>``) is a path;
    anything else is a weight name of the registry (such names contain neither).
    """
    path = Path(spec).expanduser()
    match = _WEIGHT_FILE_RE.fullmatch(path.name)
    if match:
        return path.with_name(match["base"]), match["version"]
    if "/" in spec or os.sep in spec:
        return path, None
    return None


def _load_model(model_name: str, spec: str) -> Any:
    """Load ``model_name`` with weights ``spec`` (a registry name or a weight file base path).

    Raises
    ------
    CommandError
        The weights are missing, unreadable, or do not fit the model.
    """
    from seisbench_llm.weights import WeightsCorruptError, WeightsNotFoundError

    cls = _model_class(model_name)
    files = _weight_files(spec)
    try:
        if files is None:
            model = cls.from_pretrained(spec)
        else:
            base, version = files
            paths = [Path(p) for p in cls._get_weights_file_paths(base, version)]
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                raise CommandError(
                    f"weight file(s) not found: {', '.join(missing)} (--weights PATH names a "
                    "SeisBench pair PATH.json + PATH.pt; a name without '/' is looked up in the "
                    "local weight registry, see `seisbench-llm list`)"
                )
            model = cls.load(base, version_str=version)
    except (WeightsNotFoundError, WeightsCorruptError) as error:
        raise CommandError(str(error)) from error
    except CommandError:
        raise
    except Exception as error:  # SeisBench's own lookups, a json of another class, ...
        raise CommandError(
            f"cannot load {model_name} weights '{spec}': {_one_line(error)}"
        ) from error
    task = getattr(model, "task", "picking")
    if task != "picking":
        raise CommandError(
            f"{model_name} weights '{spec}' are a '{task}' model; annotate needs picking weights"
        )
    return model


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


def _run_annotate(args: argparse.Namespace) -> int:
    import obspy
    import torch

    files, problems = _collect_files(args.paths, args.recursive)
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not files:
        raise CommandError("no file to annotate among the given paths")
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise CommandError("--device cuda: no CUDA device is available here; use --device cpu")
    model = _load_model(args.model, args.weights).to(device).eval()

    stream = obspy.Stream()
    sources: dict[str, list[tuple[Any, Any, str]]] = {}
    n_read = 0
    n_skipped = len(problems)
    for path in files:
        try:
            part = obspy.read(str(path))
        except Exception as error:  # ObsPy raises TypeError, ValueError, struct.error, ...
            print(f"skipped {path}: not readable by ObsPy ({_one_line(error)})", file=sys.stderr)
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

    kwargs: dict[str, Any] = {}
    for phase in ("P", "S"):
        value = getattr(args, f"{phase}_threshold")
        if value is not None:
            kwargs[f"{phase}_threshold"] = value
    if args.batch_size is not None:
        kwargs["batch_size"] = args.batch_size
    argdict = {**model.default_args, **kwargs}  # as in SeisBench's classify
    default_threshold = model._annotate_args.get("*_threshold", (None, 0.3))[1]
    thresholds = {p: float(argdict.get(f"{p}_threshold", default_threshold)) for p in ("P", "S")}

    out_dir = Path(args.out).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create the output folder {out_dir}: {error}") from error
    title = f"{args.model} '{args.weights}'"
    all_picks: list[Any] = []
    channels: dict[str, list[str]] = {}
    n_stations = n_failed = n_empty = n_plots = 0
    stations: dict[str, obspy.Stream] = {}
    for tr in stream:
        stations.setdefault(station_key(tr), obspy.Stream()).append(tr)
    for key, waveforms in sorted(stations.items()):
        channels[key] = sorted({tr.stats.channel for tr in waveforms}, key=component_order)
        try:
            annotations, picks = annotate_and_pick(model, waveforms, argdict)
        except Exception as error:  # one bad station (e.g. mixed sampling rates) stops nothing
            print(f"station {key} not annotated: {_one_line(error)}", file=sys.stderr)
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
            plot_station(out_dir / name, key, waveforms, annotations, picks, thresholds, title)
            n_plots += 1
    if n_stations == 0:
        raise CommandError(f"no station could be annotated ({n_failed} failed)")

    all_picks.sort(key=lambda p: (p.trace_id, p.peak_time or p.start_time, str(p.phase)))
    csv_path = out_dir / "picks.csv"
    write_picks_csv(csv_path, all_picks, sources)
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
            write_quakeml(quakeml, all_picks, channels, description)
        except OSError as error:
            raise CommandError(f"cannot write {quakeml}: {error}") from error
        print(f"Wrote {quakeml} (QuakeML, one event with {len(all_picks)} picks)")
    if args.plot:
        print(f"Wrote {n_plots} plot(s) to {out_dir}")
    return 0


def add_annotate_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``annotate PATH [PATH ...] --model MODEL --weights NAME [--out DIR] ...``."""
    parser = subparsers.add_parser(
        "annotate",
        help="pick P and S phases in waveform files (miniSEED, SAC, ...)",
        description=_wrap(
            "Pick P and S phases in waveform files with a picking model. PATHs are files ObsPy "
            "can read (miniSEED, SAC, GSE2, ...) or folders (every file inside; subfolders with "
            "--recursive); files ObsPy cannot read are reported on stderr and skipped. All traces "
            "are combined and annotated station by station (NET.STA.LOC, every channel of the "
            "station), as the model's classify would. Written into --out: picks.csv (columns "
            f"{', '.join(PICK_COLUMNS)}; times in ISO 8601, UTC), with --plot one PNG per "
            "station; with --quakeml a QuakeML file with one event holding all picks."
        ),
        epilog=_wrap(
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
    parser.add_argument(
        "--model",
        required=True,
        type=_model_name,
        choices=MODEL_NAMES,
        help="model class (case-insensitive)",
    )
    parser.add_argument(
        "--weights",
        required=True,
        metavar="NAME",
        help="weight name in the local registry, or a path to a SeisBench weight file pair",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="seisbench_llm_picks",
        help="output folder, created if needed (default: ./%(default)s)",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default=None,
        help="where the model runs (default: cuda when available, else cpu)",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        default=None,
        help="windows per forward pass (default: the model's, 256 for SeisBench models)",
    )
    parser.add_argument(
        "--P-threshold",
        type=_probability,
        metavar="X",
        default=None,
        help="P probability above which a pick is made (default: the weights' or 0.3)",
    )
    parser.add_argument(
        "--S-threshold",
        type=_probability,
        metavar="X",
        default=None,
        help="S probability above which a pick is made (default: the weights' or 0.3)",
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


# ------------------------------------------------------------------------------------ export
_CONFIG_MODELS = {
    "seismollm": "SeisMoLLM",
    "seismoe": "SeisMoE",
    "eqtransformer": "EQTransformer",
    "phasenet": "PhaseNet",
}


def _run_export(args: argparse.Namespace) -> int:
    import json
    import pickle

    from seisbench_llm.training.config import ConfigError, load_config
    from seisbench_llm.weights import _check_name

    checkpoint = Path(args.checkpoint).expanduser()
    if not checkpoint.is_file():
        raise CommandError(f"checkpoint {checkpoint} does not exist")
    try:
        _check_name(args.name)
        cfg = load_config(Path(args.config).expanduser())
    except (ConfigError, ValueError) as error:
        raise CommandError(str(error)) from error
    results = None
    if args.results is not None:
        try:
            results = json.loads(Path(args.results).expanduser().read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read --results {args.results}: {error}") from error
        if not isinstance(results, dict):
            raise CommandError(f"--results {args.results} must hold a JSON object")

    from seisbench_llm.training.harness import export_checkpoint

    try:
        path = export_checkpoint(cfg, checkpoint, args.name, results=results)
    except (
        OSError,
        ValueError,
        RuntimeError,
        KeyError,
        TypeError,
        EOFError,
        pickle.UnpicklingError,
    ) as error:  # not a checkpoint, or one of another model than the config's
        raise CommandError(
            f"cannot export {checkpoint} with config {args.config}: {_one_line(error)}"
        ) from error
    cls_name = _CONFIG_MODELS[cfg.model]
    version = path.name.rsplit(".v", 1)[-1]
    print(f"Exported {cls_name} weights '{args.name}' version {version}: {path}")
    if cfg.task == "picking":
        print(f"Pick with: {PROG} annotate PATH --model {cls_name} --weights {args.name}")
    else:
        print(f'Load with: seisbench_llm.{cls_name}.from_pretrained("{args.name}")')
    return 0


def add_export_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export CKPT --config CONFIG --name NAME [--results FILE]``."""
    parser = subparsers.add_parser(
        "export",
        help="export a training checkpoint as SeisBench weights",
        description=_wrap(
            "Export the model of a checkpoint written by the training harness (benchmarks/"
            "train.py) as SeisBench weights NAME into the local SeisBench cache (the next free "
            "version; LoRA merged), with the config (and --results) in the weights' docstring. "
            "Afterwards Model.from_pretrained(NAME) and `seisbench-llm annotate --weights NAME` "
            "find them offline."
        ),
        epilog=(
            f"examples:\n  {PROG} export benchmarks/runs/stead_seismollm/checkpoints/best.ckpt \\\n"
            "      --config benchmarks/configs/stead_seismollm.json --name stead\n"
            f"  {PROG} export best.ckpt --config my_run.json --name mine "
            "--results eval_out/results.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", metavar="CKPT", help="Lightning checkpoint (.ckpt)")
    parser.add_argument(
        "--config", required=True, metavar="CONFIG", help="the run's harness config (JSON)"
    )
    parser.add_argument(
        "--name",
        required=True,
        metavar="NAME",
        help="weight name: letters, digits, '_', '-', '+', '.'",
    )
    parser.add_argument(
        "--results",
        metavar="FILE",
        default=None,
        help="evaluation results (JSON object, e.g. results.json of benchmarks/eval.py) to record",
    )
    parser.set_defaults(func=_run_export)


# -------------------------------------------------------------------------------------- list
def _docstring_line(path: Path) -> str:
    """First non-empty line of a weight json's docstring."""
    import json

    try:
        docstring = json.loads(path.read_text(encoding="utf-8")).get("docstring") or ""
    except (OSError, ValueError, AttributeError) as error:
        return f"(unreadable: {_one_line(error)})"
    return next((line.strip() for line in str(docstring).splitlines() if line.strip()), "")


def _run_list(args: argparse.Namespace) -> int:
    import seisbench

    from seisbench_llm.weights import list_local_weights

    names = [args.model] if args.model else list(MODEL_NAMES)
    classes = [_model_class(name) for name in names]
    rows = []
    for cls in classes:
        for _, name, version, path in list_local_weights(cls):
            rows.append((cls.__name__, name, version, str(path), _docstring_line(path)))
    if not rows:
        where = classes[0]._model_path() if args.model else Path(seisbench.cache_model_root)
        print(f"no local weights in {where}")
        return 0
    header = ("CLASS", "NAME", "VERSION", "PATH", "DESCRIPTION")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def add_list_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``list [--model NAME]``."""
    parser = subparsers.add_parser(
        "list",
        help="list the weights in the local SeisBench cache",
        description=_wrap(
            "List the weights in the local SeisBench cache (SEISBENCH_CACHE_ROOT, default "
            "~/.seisbench) that `annotate --weights NAME` and Model.from_pretrained(NAME) load "
            "without network: class, name, version, json file and the first line of the "
            "weights' description. Only complete pairs (json and pt) are listed."
        ),
        epilog=f"examples:\n  {PROG} list\n  {PROG} list --model SeisMoLLM",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        type=_model_name,
        choices=MODEL_NAMES,
        default=None,
        help="only this model class (default: all of them)",
    )
    parser.set_defaults(func=_run_list)


# -------------------------------------------------------------------------------------- demo
def _run_demo(args: argparse.Namespace) -> int:
    import torch

    from seisbench_llm.demo import run_demo

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    gpt2 = None if args.no_gpt2 else (args.gpt2 or "gpt2")
    try:
        run_demo(
            out_dir=args.out,
            profile=args.profile,
            gpt2=gpt2,
            weight_name=args.name,
            seed=args.seed,
            progress=not args.no_progress,
        )
    except (FileExistsError, ValueError, OSError) as error:
        raise CommandError(_one_line(error)) from error
    return 0


def _weight_name(value: str) -> str:
    from seisbench_llm.weights import _check_name

    try:
        _check_name(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def add_demo_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo [--out DIR] [--profile default|tiny] [--gpt2 SRC | --no-gpt2] ...``."""
    from seisbench_llm.demo import DEMO_PROFILES

    parser = subparsers.add_parser(
        "demo",
        help="the whole pipeline offline on synthetic data (about 12 min on 2 CPU cores)",
        description=_wrap(
            "Run the project end to end, offline and on CPU: generate the synthetic "
            "SeisBench-format dataset (cached), train SeisMoLLM (picking; a demo-sized "
            "configuration) and an EQTransformer baseline with the benchmark harness, evaluate "
            "both on the synthetic test split (protocol B: P/S precision, recall, F1 at 0.1 s), "
            "export the SeisMoLLM weights to the local SeisBench cache as NAME, reload them with "
            "sbm.SeisMoLLM.from_pretrained(NAME), annotate ObsPy's example recording, and write "
            "results.md/results.csv, picks.csv and PNG figures (waveforms with P/S probabilities "
            "and picks; training curves; test examples) into the output folder it prints.",
            "GPT-2 is randomly initialised unless pretrained GPT-2 weights are found locally "
            "(--gpt2; nothing is downloaded). The weights are trained on SYNTHETIC waveforms: "
            "they are not STEAD weights and not meant for real data.",
        ),
        epilog=(
            f"examples:\n  {PROG} demo\n  {PROG} demo --out demo_out --gpt2 ~/models/gpt2\n"
            f"  {PROG} demo --profile tiny --out /tmp/smoke   (1-minute smoke test, toy models)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="output folder, new or empty (default: ./seisbench-llm-demo-<date>-<time>)",
    )
    parser.add_argument(
        "--profile",
        choices=list(DEMO_PROFILES),
        default="default",
        help="default: the demo (about 12 min); tiny: toy models, a smoke test (about 1 min)",
    )
    gpt2 = parser.add_mutually_exclusive_group()
    gpt2.add_argument(
        "--gpt2",
        metavar="SRC",
        default=None,  # "gpt2"; None so that argparse sees an explicit --gpt2 gpt2 --no-gpt2
        help="pretrained GPT-2 if present locally: a save_pretrained folder or a hub id in the "
        "Hugging Face cache (default 'gpt2'); never downloaded, random init when absent",
    )
    gpt2.add_argument(
        "--no-gpt2", action="store_true", help="random GPT-2 initialisation even if weights exist"
    )
    parser.add_argument(
        "--name",
        type=_weight_name,
        default="synthetic",
        help="weight name of the exported SeisMoLLM (default 'synthetic'; a new version each run)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of splits and training (default 0)"
    )
    parser.add_argument(
        "--threads", type=_positive_int, default=None, help="torch CPU threads (default: torch's)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(func=_run_demo)


#: The subcommands: one function per subcommand, adding its parser to the subparsers.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_demo_parser,
    add_convert_diting_parser,
    add_annotate_parser,
    add_export_parser,
    add_list_parser,
    add_pick_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``seisbench-llm`` argument parser with every subcommand of :py:data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="seisbench_llm: SeisMoLLM and SeisMoE for SeisBench, and their data.",
    )
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for add_parser in COMMANDS:
        add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``seisbench-llm`` command line.

    :param argv: Arguments without the program name; ``sys.argv[1:]`` if None.
    :return: Exit code: 0 on success, 1 on a reported error, 2 on invalid usage, 130 when
             interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except CommandError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
