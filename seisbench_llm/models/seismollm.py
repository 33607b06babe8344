"""SeisMoLLM: multi-scale conv embedding + the first GPT-2 blocks with LoRA, as a SeisBench model."""

from __future__ import annotations

import contextlib
import copy
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import obspy
import seisbench.util as sbu
import torch
from seisbench.models import WaveformModel

from seisbench_llm.models.embedder import MultiScaleEmbedder, patchify, unpatchify
from seisbench_llm.models.gpt2 import GPT2Backbone
from seisbench_llm.models.heads import PickingHead, PooledHead
from seisbench_llm.models.inputs import (
    InputHandling,
    check_annotate_args,
    cut_window,
    p_time_of,
    station_key,
)
from seisbench_llm.precision import autocast, resolve_precision
from seisbench_llm.weights import RegistryMixin

TASKS = ("picking", "polarity", "magnitude", "distance", "back_azimuth")
POLARITY_CLASSES = ("U", "D")

_CITATION = (
    "Wang, X., Liu, F., Li, R., Xiao, Z., Zhang, Y., & Liu, C. (2025). SeisMoLLM: Advancing "
    "seismic monitoring via cross-modal transfer with pre-trained large language model. "
    "arXiv:2502.19960."
)


class SeisMoLLM(InputHandling, RegistryMixin, WaveformModel):
    """SeisMoLLM (Wang et al., 2025): waveforms -> multi-scale conv embedder -> latent patches ->
    the first GPT-2 blocks (causal, LoRA-adapted) -> a task head.

    The constructor builds the architecture only and never downloads anything; GPT-2 starts from
    GPT-2's random initialisation. Copy pretrained GPT-2 weights in with
    :py:meth:`load_gpt2_weights`, or load trained SeisMoLLM weights with ``from_pretrained``.

    Tasks and outputs of ``forward`` for input ``(B, 3, in_samples)`` (normalised per channel):

    - ``"picking"``: ``(B, 3, in_samples)`` probabilities for [noise, P, S].
    - ``"polarity"``: ``(B, 2)`` probabilities for first motion [up, down].
    - ``"magnitude"``: ``(B,)`` in ``[0, magnitude_scale]``.
    - ``"distance"``: ``(B,)`` epicentral distance in km in ``[0, distance_scale]``.
    - ``"back_azimuth"``: ``(B, 2)`` as (cos, sin) in ``[-1, 1]``.

    ``annotate`` and ``classify`` handle bad input as described in
    :py:mod:`seisbench_llm.models.inputs` and run, by default (annotate argument ``optimized``),
    on :py:meth:`inference_model`, a faster copy for inference; build that copy once yourself to
    annotate many streams. They use batches of 8 windows by default: on CPU, SeisBench's usual 256
    is ~1.5x slower per window and needs ~3 GiB more memory (on a GPU, pass a larger
    ``batch_size``). They never change the model, its weights or its ``state_dict``.

    :param task: One of ``"picking"``, ``"polarity"``, ``"magnitude"``, ``"distance"``,
                 ``"back_azimuth"``.
    :param in_samples: Window length (6000 for STEAD at 100 Hz, 8192 for DiTing at 50 Hz).
    :param sampling_rate: Sampling rate in Hz the model expects (input is resampled to it).
    :param component_order: Component order of the input.
    :param d_model: GPT-2 width (768 for GPT-2 small).
    :param n_layers: Number of GPT-2 blocks used (3 in the paper).
    :param n_heads: Attention heads (12 for GPT-2 small).
    :param n_positions: Rows of the position embedding table (1024 for GPT-2).
    :param dropout: GPT-2 embedding, attention and residual dropout.
    :param patch_size: Feature samples per token; the embedder's last stage has
                       ``d_model / patch_size`` channels.
    :param embed_channels: Output channels of the 4 embedder stages (the last is replaced by
                           ``d_model // patch_size`` if None).
    :param embed_kernels: Base kernel per embedder stage.
    :param embed_scale_strides: Kernel increment between the 4 branches of a stage.
    :param embed_strides: Stride per embedder stage.
    :param head_channels: Channels of the 4 up-layers of the picking head.
    :param head_kernels: Kernels of the 4 up-layers of the picking head.
    :param lora_r: LoRA rank; 0 builds the model without adapters (as after :py:meth:`merge_lora`).
    :param lora_alpha: LoRA alpha.
    :param lora_dropout: LoRA dropout.
    :param magnitude_scale: Magnitude head output is ``sigmoid * magnitude_scale``.
    :param distance_scale: Distance head output is ``sigmoid * distance_scale`` (km).
    :param p_position: For the non-picking tasks, the sample at which the P onset lies in a window
                       (windows are placed like this in ``classify``; default ``in_samples // 6``).
    :param phases: Phase names of the picking outputs.
    :param kwargs: Passed to :py:class:`seisbench.models.WaveformModel`.
    """

    _annotate_args = WaveformModel._annotate_args.copy()
    _annotate_args["*_threshold"] = ("Detection threshold for the provided phase", 0.3)
    _annotate_args["blinding"] = (
        "Number of prediction samples to discard on each side of each window prediction",
        (500, 500),
    )
    _annotate_args["overlap"] = (_annotate_args["overlap"][0], 3000)
    _annotate_args["stacking"] = (_annotate_args["stacking"][0], "max")
    _annotate_args["stride"] = (_annotate_args["stride"][0], 100)
    # benchmarks/speed.py --hours 2.2 --batch-sweep (2 CPU threads), ms per window for batch
    # 1/4/8/16/64/256: 103/69/64/72/79/98; peak RSS during annotate +0.44 GiB at 8, +3.5 at 256
    _annotate_args["batch_size"] = (_annotate_args["batch_size"][0], 8)
    _annotate_args["optimized"] = (
        "Run annotate/classify on model.inference_model(), a copy with BatchNorms folded into the "
        "convs, LoRA merged and torch.inference_mode; same results as the model's own eval "
        "forward to ~1e-5. False: the model's own forward.",
        True,
    )
    _annotate_args["precision"] = (
        "Numeric precision of the forward pass on the inference copy: 'float32', 'bfloat16', "
        "'float16' (GPUs only) or 'auto' (the fastest the device computes natively: bfloat16 on "
        "CPUs with AVX512-BF16/AMX and on recent GPUs, float16 on older GPUs, otherwise float32; "
        "see seisbench_llm.precision). Needs optimized=True.",
        "float32",
    )
    _annotate_args["p_times"] = (
        "Non-picking tasks, classify: P onset per station, as a dict 'NET.STA.LOC' -> UTCDateTime, "
        "a PickList (its P picks) or one UTCDateTime for all. None: windows start at the stream start.",
        None,
    )

    def __init__(
        self,
        task: str = "picking",
        in_samples: int = 6000,
        sampling_rate: float = 100.0,
        component_order: str = "ZNE",
        d_model: int = 768,
        n_layers: int = 3,
        n_heads: int = 12,
        n_positions: int = 1024,
        dropout: float = 0.1,
        patch_size: int = 8,
        embed_channels: Sequence[int] | None = (16, 48, 96, None),
        embed_kernels: Sequence[int] = (16, 8, 6, 1),
        embed_scale_strides: Sequence[int] = (8, 6, 4, 2),
        embed_strides: Sequence[int] = (2, 2, 2, 1),
        head_channels: Sequence[int] = (224, 192, 160, 6),
        head_kernels: Sequence[int] = (1, 6, 8, 16),
        lora_r: int = 16,
        lora_alpha: float = 16,
        lora_dropout: float = 0.1,
        magnitude_scale: float = 8.0,
        distance_scale: float = 500.0,
        p_position: int | None = None,
        phases: Sequence[str] = ("P", "S"),
        **kwargs,
    ):
        if task not in TASKS:
            raise ValueError(f"Unknown task '{task}'. Valid tasks: {', '.join(TASKS)}")
        if d_model % patch_size:
            raise ValueError(f"d_model ({d_model}) must be divisible by patch_size ({patch_size})")
        token_channels = d_model // patch_size
        embed_channels = list(embed_channels if embed_channels is not None else (16, 48, 96, None))
        if embed_channels[-1] is None:
            embed_channels[-1] = token_channels
        if embed_channels[-1] != token_channels:
            raise ValueError(
                f"The last embedder stage must have d_model / patch_size = {token_channels} "
                f"channels, got {embed_channels[-1]}"
            )
        if p_position is None:
            p_position = in_samples // 6
        if not 0 <= p_position < in_samples:
            raise ValueError(f"p_position must lie in [0, {in_samples}), got {p_position}")

        if task == "picking":
            output_kwargs = dict(
                output_type="array", pred_sample=(0, in_samples), labels=list(phases)
            )
        else:
            labels = {
                "polarity": ["up", "down"],
                "magnitude": ["magnitude"],
                "distance": ["distance_km"],
                "back_azimuth": ["back_azimuth_deg"],
            }[task]
            output_kwargs = dict(output_type="point", pred_sample=p_position, labels=labels)
        citation = kwargs.pop("citation", _CITATION)
        super().__init__(
            citation=citation,
            in_samples=in_samples,
            sampling_rate=sampling_rate,
            component_order=component_order,
            **output_kwargs,
            **kwargs,
        )

        self.task = task
        self.phases = list(phases)
        self.p_position = p_position
        self.patch_size = patch_size
        self.magnitude_scale = magnitude_scale
        self.distance_scale = distance_scale
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        self._arch = dict(
            d_model=d_model,
            n_layers=n_layers,
            n_heads=n_heads,
            n_positions=n_positions,
            dropout=dropout,
            patch_size=patch_size,
            embed_channels=list(embed_channels),
            embed_kernels=list(embed_kernels),
            embed_scale_strides=list(embed_scale_strides),
            embed_strides=list(embed_strides),
            head_channels=list(head_channels),
            head_kernels=list(head_kernels),
        )

        self.embedder = MultiScaleEmbedder(
            len(component_order), embed_channels, embed_kernels, embed_scale_strides, embed_strides
        )
        feature_len = math.ceil(in_samples / self.embedder.downsampling)
        self.n_tokens = feature_len // patch_size
        if self.n_tokens < 1:
            raise ValueError(
                f"in_samples={in_samples} gives no complete patch: need at least "
                f"{self.embedder.downsampling * patch_size} samples"
            )
        if self.n_tokens > n_positions:
            raise ValueError(f"{self.n_tokens} tokens exceed n_positions={n_positions}")
        self.llm = GPT2Backbone(d_model, n_layers, n_heads, n_positions, dropout)
        if task == "picking":
            self.head = PickingHead(
                token_channels, self.n_tokens * patch_size, in_samples, head_channels, head_kernels
            )
        else:
            n_out = {"polarity": 2, "magnitude": 1, "distance": 1, "back_azimuth": 2}[task]
            self.head = PooledHead(token_channels, n_out)
        self.llm_source: str | None = None  # where GPT-2 weights came from (None: random init)
        if lora_r:
            self.llm.add_lora(lora_r, lora_alpha, lora_dropout)

    # ------------------------------------------------------------------ model
    #: True for the inference copy :py:meth:`inference_model` returns.
    is_inference_copy = False
    #: Precision of the forward pass (``float32``; an inference copy may run at another one).
    precision = "float32"

    @property
    def lora_r(self) -> int:
        return self.llm.lora_r

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        """Run the model on normalised waveforms ``(B, C, in_samples)``. ``annotate`` and
        ``classify`` run each batch of windows through here, between :py:meth:`annotate_batch_pre`
        and :py:meth:`annotate_batch_post`.

        :param logits: Return pre-activation values (picking, polarity) for numerically stable losses.
        """
        with (
            torch.inference_mode() if self.is_inference_copy else contextlib.nullcontext(),
            autocast(self.precision, x.device),
        ):
            features = self.embedder(x)
            tokens = self.llm(patchify(features, self.patch_size))
            features = unpatchify(tokens, self.patch_size)
            if self.task == "picking":
                return self.head(features, logits=logits).float()
            out = self.head(features).float()
        if self.task == "polarity":
            return out if logits else torch.softmax(out, dim=-1)
        if self.task == "magnitude":
            return torch.sigmoid(out[:, 0]) * self.magnitude_scale
        if self.task == "distance":
            return torch.sigmoid(out[:, 0]) * self.distance_scale
        return torch.tanh(out)

    def load_gpt2_weights(self, source: str = "gpt2", local_files_only: bool | None = None) -> str:
        """Copy pretrained GPT-2 weights into the LLM blocks (see :py:meth:`GPT2Backbone.load_gpt2_weights`).

        :param source: Local directory written by ``save_pretrained``, or a hub id (``"gpt2"``)
                       looked up in the Hugging Face cache (and downloaded where a network exists).
        :param local_files_only: Never download.
        :return: Where the weights came from.
        """
        self.llm_source = self.llm.load_gpt2_weights(source, local_files_only)
        return self.llm_source

    def merge_lora(self) -> None:
        """Fold LoRA into the GPT-2 weights; the model then saves and loads without PEFT."""
        self.llm.merge_lora()

    def add_lora(self, r: int = 16, alpha: float = 16, dropout: float = 0.1) -> None:
        """Add fresh LoRA adapters, e.g. to fine-tune a merged model."""
        self.lora_alpha, self.lora_dropout = alpha, dropout
        self.llm.add_lora(r, alpha, dropout)

    def inference_model(self, precision: str = "float32") -> SeisMoLLM:
        """A copy of this model for inference (``is_inference_copy`` True): a SeisMoLLM to
        annotate, classify and call like this one, computing what this model computes in eval mode.

        In the copy, BatchNorms and the 1x1 branch convs are folded into the convs, LoRA adapters
        are merged, and ``forward`` runs under ``torch.inference_mode``; it cannot be trained or
        saved (save this model). This model is never changed, so it can keep training; the copy
        holds the weights as they are now (sharing GPT-2's weight tensors when there is no LoRA
        to merge). Outputs equal ``self.eval()(x)`` up to float32 rounding (probabilities within
        ~1e-5). ``annotate``/``classify`` with ``optimized=True`` (the default) make such a copy at
        the start of each call; make it once yourself to annotate many streams.

        Measured on CPU (2 threads, batch 8): about 10 % faster per window than the model with
        unmerged LoRA, about 3 % faster than the LoRA-merged model (the model is bounded by its
        convolutions and matrix products, which folding does not shrink).

        :param precision: Precision of the copy's forward pass (see
            :py:mod:`seisbench_llm.precision`): ``float32``, ``bfloat16``, ``float16`` (GPU) or
            ``auto``, resolved for the device this model is on when the copy is made. Matrix
            products and convolutions then run under ``torch.autocast``; outputs are float32.
        """
        precision = resolve_precision(precision, self.device)
        if self.is_inference_copy and precision == self.precision:
            return self
        if self.is_inference_copy:
            fast = copy.copy(self)  # shares the folded modules; only the precision differs
            fast.precision = precision
            return fast
        with torch.device("meta"):  # modules replaced below: build them without memory
            fast = type(self)(**{**self.get_model_args(), "lora_r": 0})
        fast.default_args = dict(self.default_args)
        fast.embedder = self.embedder.fused()
        fast.llm = self.llm.inference_copy()
        fast.head = self.head.fused()
        fast.llm_source = self.llm_source
        fast.is_inference_copy = True
        fast.precision = precision
        return fast.eval()

    def train(self, mode: bool = True) -> SeisMoLLM:
        if mode and self.is_inference_copy:
            raise RuntimeError("This inference copy is for inference only; train its SeisMoLLM")
        return super().train(mode)

    def save(self, *args, **kwargs) -> None:
        if self.is_inference_copy:
            raise RuntimeError(
                "An inference copy is not saved; save the SeisMoLLM it was made from"
            )
        super().save(*args, **kwargs)

    def _uses_inference_copy(self, argdict: Mapping[str, Any]) -> bool:
        optimized = argdict.get("optimized", self._annotate_args["optimized"][1])
        precision = argdict.get("precision", self._annotate_args["precision"][1])
        if not optimized and precision != "float32":
            raise ValueError(
                f"annotate argument precision={precision!r} needs optimized=True (the inference "
                "copy); the model's own forward runs in float32"
            )
        if self.is_inference_copy:
            return resolve_precision(precision, self.device) != self.precision
        return bool(optimized)

    def _annotation_model(self, argdict: Mapping[str, Any]) -> SeisMoLLM:
        """The model annotate/classify run with these arguments: this one or an inference copy."""
        if not self._uses_inference_copy(argdict):
            return self
        return self.inference_model(argdict.get("precision", self._annotate_args["precision"][1]))

    def get_model_args(self) -> dict[str, Any]:
        model_args = super().get_model_args()
        for key in ("citation", "output_type", "default_args", "pred_sample", "labels"):
            model_args.pop(key, None)
        model_args.update(
            task=self.task,
            in_samples=self.in_samples,
            sampling_rate=self.sampling_rate,
            component_order=self.component_order,
            lora_r=self.lora_r,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            magnitude_scale=self.magnitude_scale,
            distance_scale=self.distance_scale,
            p_position=self.p_position,
            phases=self.phases,
            **self._arch,
        )
        return model_args

    # ------------------------------------------------------------------ annotate
    @staticmethod
    def normalize(batch: torch.Tensor) -> torch.Tensor:
        """Per trace and channel: subtract the mean, divide by the standard deviation (0 -> 1)."""
        batch = batch - batch.mean(dim=-1, keepdim=True)
        std = batch.std(dim=-1, keepdim=True, correction=0)  # as StdNormalize in training
        return batch.div_(torch.where(std > 0, std, torch.ones_like(std)))  # batch is a new tensor

    def annotate_batch_pre(self, batch: torch.Tensor, argdict: dict[str, Any]) -> torch.Tensor:
        return self.normalize(batch)

    def annotate_batch_post(
        self, batch: torch.Tensor, piggyback: Any, argdict: dict[str, Any]
    ) -> torch.Tensor:
        if self.task == "picking":
            if batch.is_inference() and not torch.is_inference_mode_enabled():
                batch = batch.clone()  # inference tensors can only be changed in inference mode
            pre, post = argdict.get("blinding", self._annotate_args["blinding"][1])
            if pre > 0:  # the model output is not needed elsewhere: blind it in place
                batch[:, 1:, :pre] = np.nan
            if post > 0:
                batch[:, 1:, -post:] = np.nan
            return batch[:, 1:].transpose(1, 2)  # (B, T, [P, S]), a view
        if self.task == "back_azimuth":
            deg = torch.rad2deg(torch.atan2(batch[:, 1], batch[:, 0])) % 360.0
            return deg[:, None]
        return batch if batch.ndim == 2 else batch[:, None]

    async def annotate_async(
        self, stream: obspy.Stream, copy: bool = True, **kwargs
    ) -> obspy.Stream:
        """Annotate a stream; see :py:meth:`seisbench.models.WaveformModel.annotate` and, for
        bad input (NaN/inf, gaps, integers, missing components, short streams and stream edges),
        :py:class:`seisbench_llm.models.inputs.InputHandling`. With ``optimized`` (default True)
        this is ``self.inference_model().annotate_async(...)``.
        """
        argdict = {**self.default_args, **kwargs}
        check_annotate_args(self, argdict)  # before the copy is made: bad arguments fail at once
        model = self._annotation_model(argdict)
        if model is not self:
            return await model.annotate_async(stream, copy=copy, **kwargs)
        return await super().annotate_async(stream, copy=copy, **kwargs)

    # ------------------------------------------------------------------ classify
    def classify_aggregate(self, annotations: obspy.Stream, argdict: dict) -> sbu.ClassifyOutput:
        """Picking: picks from the P/S probability traces with per-phase thresholds (default 0.3)."""
        picks = sbu.PickList()
        for phase in self.phases:
            threshold = argdict.get(f"{phase}_threshold", self._annotate_args["*_threshold"][1])
            picks += self.picks_from_annotations(
                annotations.select(channel=f"{self.__class__.__name__}_{phase}"), threshold, phase
            )
        return sbu.ClassifyOutput(self.name, picks=sbu.PickList(sorted(picks)))

    def classify(self, stream: obspy.Stream, **kwargs) -> sbu.ClassifyOutput:
        """Classify a stream.

        - picking: ``.picks``, a :py:class:`seisbench.util.PickList` (thresholds ``P_threshold``,
          ``S_threshold``, default 0.3).
        - other tasks: one window per station, placed as in training with the P onset at sample
          ``p_position``. P onsets come from ``p_times`` (dict ``"NET.STA.LOC" -> UTCDateTime``, a
          PickList, whose P picks are matched to stations exactly, or one UTCDateTime); without
          them the window starts at the stream start. Missing data inside the window is
          zero-filled; a station whose window holds no data at all is left out, with a warning.
          Output dicts keyed by station id: ``.magnitude``, ``.distance_km``,
          ``.back_azimuth_deg`` or ``.polarity`` (``"U"``/``"D"``) with
          ``.polarity_probability``, plus ``.window_start``.
        """
        if self.task == "picking":
            return super().classify(stream, **kwargs)
        argdict = {**self.default_args, **kwargs}
        check_annotate_args(self, argdict)
        model = self._annotation_model(argdict)
        stations, windows, starts = model._classify_windows(stream, argdict)
        batch_size = argdict.get("batch_size", self._annotate_args["batch_size"][1])
        preds = []
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                for i in range(0, len(windows), batch_size):
                    x = torch.as_tensor(np.stack(windows[i : i + batch_size]))
                    x = model.annotate_batch_pre(x.to(model.device, model.dtype), argdict)
                    preds.append(model(x).float().cpu().numpy())
        finally:
            model.train(was_training)
        pred = np.concatenate(preds) if preds else np.zeros((0, 2))
        return self._classify_output(starts, pred, stations)

    def _classify_windows(
        self, stream: obspy.Stream, argdict: dict[str, Any]
    ) -> tuple[list[str], list[np.ndarray], dict[str, obspy.UTCDateTime]]:
        """One input window per station for the non-picking tasks (see :py:meth:`classify`)."""
        self._verify_argdict({k: v for k, v in argdict.items() if k not in self.default_args})
        stream, bad = self.prepare_input(stream, argdict)
        if len(stream):
            self.annotate_stream_pre(stream, argdict)
            stream = self.annotate_stream_validate(stream, argdict)
        components, n_comp = self.input_components(argdict), len(self.component_order)
        stations, windows, starts = [], [], {}
        for key in sorted({station_key(tr) for tr in stream}):
            traces = [tr for tr in stream if station_key(tr) == key]
            if (
                argdict.get("strict", False)
                and len({tr.stats.channel[-1] for tr in traces}) < n_comp
            ):
                continue
            p = p_time_of(argdict.get("p_times"), key)
            sr = self.sampling_rate
            start = (
                p - self.p_position / sr
                if p is not None
                else min(tr.stats.starttime for tr in traces)
            )
            window, has_data = cut_window(
                traces, start, self.in_samples, components, n_comp, bad.get(key, [])
            )
            if not has_data:
                end = start + (self.in_samples - 1) / sr
                warnings.warn(
                    f"Station {key}: no data in the {self.task} window {start} - {end}; "
                    "station left out of the output",
                    stacklevel=3,
                )
                continue
            stations.append(key)
            windows.append(window)
            starts[key] = start
        return stations, windows, starts

    def _classify_output(
        self, starts: dict, pred: np.ndarray, stations: list[str]
    ) -> sbu.ClassifyOutput:
        out: dict[str, dict] = {"window_start": starts}
        if self.task == "polarity":
            out["polarity"] = {
                s: POLARITY_CLASSES[int(np.argmax(p))] for s, p in zip(stations, pred, strict=True)
            }
            out["polarity_probability"] = {
                s: float(np.max(p)) for s, p in zip(stations, pred, strict=True)
            }
        elif self.task == "back_azimuth":
            out["back_azimuth_deg"] = {
                s: float(np.degrees(np.arctan2(p[1], p[0])) % 360.0)
                for s, p in zip(stations, pred, strict=True)
            }
        else:
            name = "magnitude" if self.task == "magnitude" else "distance_km"
            out[name] = {s: float(p) for s, p in zip(stations, pred, strict=True)}
        return sbu.ClassifyOutput(self.name, **out)
