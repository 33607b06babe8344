"""SeisMoLLM: multi-scale conv embedding + the first GPT-2 blocks with LoRA, as a SeisBench model."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import obspy
import seisbench.util as sbu
import torch
from seisbench.models import WaveformModel

from seisbench_llm.models.config import SeisMoLLMConfig
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
from seisbench_llm.models.picks import PS_SEPARATION_ARG, one_phase_per_onset
from seisbench_llm.precision import autocast, resolve_precision
from seisbench_llm.tasks import get_task
from seisbench_llm.weights import RegistryMixin

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

    Arguments: the fields of :py:class:`~seisbench_llm.models.config.SeisMoLLMConfig` as keywords
    (their table: ``docs/user_guide.md``), or ``config``, a whole ``SeisMoLLMConfig`` (keywords
    then override its fields). Tasks: :py:data:`seisbench_llm.tasks.TASKS`.

    :param config: A :py:class:`~seisbench_llm.models.config.SeisMoLLMConfig`.
    :param kwargs: Passed to :py:class:`seisbench.models.WaveformModel`.
    """

    _annotate_args = WaveformModel._annotate_args.copy()
    _annotate_args["*_threshold"] = ("Detection threshold for the provided phase", 0.3)
    _annotate_args["ps_separation"] = PS_SEPARATION_ARG
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
        "'float16' (GPUs only) or 'auto' (the device's native reduced precision where it has "
        "given the same picks as float32 on trained weights, else float32; see "
        "seisbench_llm.precision). Needs optimized=True.",
        "float32",
    )
    _annotate_args["p_times"] = (
        "Non-picking tasks, classify: P onset per station, as a dict 'NET.STA.LOC' -> UTCDateTime, "
        "a PickList (its P picks) or one UTCDateTime for all. None: windows start at the stream start.",
        None,
    )

    def __init__(self, config: SeisMoLLMConfig | None = None, **kwargs):
        if config is None:
            config, kwargs = SeisMoLLMConfig.split(kwargs)
        elif not isinstance(config, SeisMoLLMConfig):
            raise TypeError(f"config must be a SeisMoLLMConfig, got {type(config).__name__}")
        elif given := sorted(set(kwargs) & set(config.arg_specs())):
            raise TypeError(
                f"Give either config or SeisMoLLM arguments, not both (got {', '.join(given)}); "
                "use dataclasses.replace(config, ...)"
            )
        task = get_task(config.task)
        labels = list(task.labels or config.phases)
        pred_sample = (0, config.in_samples) if task.output_type == "array" else config.p_position
        super().__init__(
            citation=kwargs.pop("citation", _CITATION),
            in_samples=config.in_samples,
            sampling_rate=config.sampling_rate,
            component_order=config.component_order,
            output_type=task.output_type,
            pred_sample=pred_sample,
            labels=labels,
            **kwargs,
        )
        self.config = config
        self.task_spec = task
        self.embedder = MultiScaleEmbedder(
            len(config.component_order),
            config.embed_channels,
            config.embed_kernels,
            config.embed_scale_strides,
            config.embed_strides,
        )
        feature_len = math.ceil(config.in_samples / self.embedder.downsampling)
        self.n_tokens = feature_len // config.patch_size
        if self.n_tokens < 1:
            raise ValueError(
                f"in_samples={config.in_samples} gives no complete patch: need at least "
                f"{self.embedder.downsampling * config.patch_size} samples"
            )
        if self.n_tokens > config.n_positions:
            raise ValueError(f"{self.n_tokens} tokens exceed n_positions={config.n_positions}")
        self.llm = GPT2Backbone(
            config.d_model, config.n_layers, config.n_heads, config.n_positions, config.dropout
        )
        token_channels = config.d_model // config.patch_size
        if task.head == "picking":
            self.head = PickingHead(
                token_channels,
                self.n_tokens * config.patch_size,
                config.in_samples,
                config.head_channels,
                config.head_kernels,
                task.n_outputs,
            )
        else:
            self.head = PooledHead(token_channels, task.n_outputs)
        self.llm_source: str | None = None  # where GPT-2 weights came from (None: random init)
        if config.lora_r:
            self.llm.add_lora(config.lora_r, config.lora_alpha, config.lora_dropout)

    # SeisMoLLM(**kwargs) takes the config's fields as keywords: show them in help() and inspect
    __init__.__signature__ = SeisMoLLMConfig.signature()

    @property
    def task(self) -> str:
        """The task's name (:py:data:`seisbench_llm.tasks.TASKS`)."""
        return self.config.task

    @property
    def phases(self) -> list[str]:
        """Phase names of the picking outputs."""
        return list(self.config.phases)

    @property
    def p_position(self) -> int:
        """Sample of the P onset in a window of the non-picking tasks."""
        return self.config.p_position

    @property
    def patch_size(self) -> int:
        """Feature samples per GPT-2 token."""
        return self.config.patch_size

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
            out = self.head(unpatchify(tokens, self.patch_size)).float()
        return self.task_spec.predict(out, self.config, logits)

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
        self.config = dataclasses.replace(self.config, lora_r=0)

    def add_lora(self, r: int = 16, alpha: float = 16, dropout: float = 0.1) -> None:
        """Add fresh LoRA adapters, e.g. to fine-tune a merged model."""
        self.llm.add_lora(r, alpha, dropout)
        self.config = dataclasses.replace(
            self.config, lora_r=r, lora_alpha=alpha, lora_dropout=dropout
        )

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

    def _annotation_model(self, argdict: Mapping[str, Any]) -> SeisMoLLM:
        """The model annotate/classify run with these arguments: this one or an inference copy.

        An inference copy runs at its own precision unless ``precision`` is given; the model makes
        a copy at ``precision`` (default float32) unless ``optimized`` is False.
        """
        if self.is_inference_copy:
            precision = argdict.get("precision", self.precision)
            if resolve_precision(precision, self.device) == self.precision:
                return self
            return self.inference_model(precision)
        precision = argdict.get("precision", self._annotate_args["precision"][1])
        if argdict.get("optimized", self._annotate_args["optimized"][1]):
            return self.inference_model(precision)
        if precision != "float32":
            raise ValueError(
                f"annotate argument precision={precision!r} needs optimized=True (the inference "
                "copy); the model's own forward runs in float32"
            )
        return self

    def get_model_args(self) -> dict[str, Any]:
        model_args = super().get_model_args()
        for key in ("citation", "output_type", "default_args", "pred_sample", "labels"):
            model_args.pop(key, None)
        model_args.update(self.config.to_dict())
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
        if self.task_spec.output_type == "array":  # picking: [noise, P, S] curves
            if batch.is_inference() and not torch.is_inference_mode_enabled():
                batch = batch.clone()  # inference tensors can only be changed in inference mode
            pre, post = argdict.get("blinding", self._annotate_args["blinding"][1])
            if pre > 0:  # the model output is not needed elsewhere: blind it in place
                batch[:, 1:, :pre] = np.nan
            if post > 0:
                batch[:, 1:, -post:] = np.nan
            return batch[:, 1:].transpose(1, 2)  # (B, T, [P, S]), a view
        return self.task_spec.to_annotation(batch)

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
        """Picking: picks from the P/S probability traces with per-phase thresholds (default 0.3);
        of a P and an S pick closer than ``ps_separation`` only the more probable is kept."""
        picks = sbu.PickList()
        for phase in self.phases:
            threshold = argdict.get(f"{phase}_threshold", self._annotate_args["*_threshold"][1])
            picks += self.picks_from_annotations(
                annotations.select(channel=f"{self.__class__.__name__}_{phase}"), threshold, phase
            )
        picks = one_phase_per_onset(self, picks, argdict)
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
        if self.task_spec.output_type == "array":
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
                    values = model.annotate_batch_post(model(x), None, argdict)
                    preds.append(values.float().cpu().numpy())
        finally:
            model.train(was_training)
        pred = np.concatenate(preds) if preds else np.zeros((0, len(self.labels)))
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
        outputs = self.task_spec.classify_output(pred, stations)
        return sbu.ClassifyOutput(self.name, window_start=starts, **outputs)
