"""SeisMoLLM: multi-scale conv embedding + the first GPT-2 blocks with LoRA, as a SeisBench model."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import obspy
import seisbench.util as sbu
import torch
from seisbench.models import WaveformModel
from torch import nn

from seisbench_llm.models.embedder import MultiScaleEmbedder, patchify, unpatchify
from seisbench_llm.models.gpt2 import GPT2Backbone
from seisbench_llm.models.heads import PickingHead, PooledHead
from seisbench_llm.weights import RegistryMixin

TASKS = ("picking", "polarity", "magnitude", "distance", "back_azimuth")
POLARITY_CLASSES = ("U", "D")

# Inside annotate/classify: (model, its inference copy). A context variable reaches the worker
# threads SeisBench runs the forward passes in (asyncio.to_thread copies the context).
_ACTIVE_INFERENCE: ContextVar[tuple[Any, nn.Module] | None] = ContextVar(
    "seismollm_inference", default=None
)

_CITATION = (
    "Wang, X., Liu, F., Li, R., Xiao, Z., Zhang, Y., & Liu, C. (2025). SeisMoLLM: Advancing "
    "seismic monitoring via cross-modal transfer with pre-trained large language model. "
    "arXiv:2502.19960."
)


class SeisMoLLM(RegistryMixin, WaveformModel):
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

    ``annotate`` and ``classify`` run under ``torch.inference_mode`` on an inference copy
    (:py:meth:`inference_model`; annotate argument ``optimized``, default True) in batches of 8
    windows by default: on CPU, SeisBench's usual 256 is ~1.5x slower per window and needs
    ~3 GiB more memory (on a GPU, pass a larger ``batch_size``). They never change the model,
    its weights or its ``state_dict``.

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
        "Run annotate/classify on an inference copy of the model (BatchNorms folded into the "
        "convs, LoRA merged in the copy, torch.inference_mode); same results as the model's own "
        "eval forward to ~1e-5. False: the model's own forward.",
        True,
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
    @property
    def lora_r(self) -> int:
        return self.llm.lora_r

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        """Run the model on normalised waveforms ``(B, C, in_samples)``.

        :param logits: Return pre-activation values (picking, polarity) for numerically stable losses.
        """
        active = _ACTIVE_INFERENCE.get()  # set by annotate: use its inference copy
        if (
            active is not None
            and active[0] is self
            and not self.training
            and not torch.is_grad_enabled()
        ):
            return active[1](x, logits=logits)
        return _run_parts(self, self.embedder, self.llm, self.head, x, logits)

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

    def inference_model(self) -> SeisMoLLMInference:
        """A copy of this model for inference, computing what the model computes in eval mode.

        BatchNorms and the 1x1 branch convs are folded into the convs, and unmerged LoRA adapters
        are merged in the copy; this model is never changed, so it can keep training. Outputs
        equal ``self.eval()(x)`` up to float32 rounding (probabilities within ~1e-5).
        ``annotate`` and ``classify`` run on such a copy, made at the start of each call, unless
        the annotate argument ``optimized`` is False. The copy holds the weights as they were
        when it was made; it shares GPT-2's weight tensors with this model when there is no
        LoRA to merge, and holds a merged copy of them otherwise.

        Measured on CPU (2 threads, batch 8): about 10 % faster per window than the model with
        unmerged LoRA, about 3 % faster than the LoRA-merged model (the model is bounded by its
        convolutions and matrix products, which folding does not shrink).
        """
        return SeisMoLLMInference(self)

    def _inference_copy_for(self, argdict: Mapping[str, Any]) -> SeisMoLLMInference | None:
        argdict = {**self.default_args, **argdict}
        if not self._argdict_get_with_default(argdict, "optimized"):
            return None
        return self.inference_model()

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
        """Annotate a stream; see :py:meth:`seisbench.models.WaveformModel.annotate`.

        On top of SeisBench's behaviour: integer data is converted to float; each channel is merged
        into one trace; NaN/inf samples and gaps are replaced by the trace mean and the annotations
        over those samples are set to NaN (masked);
        every channel is padded with its mean at both ends (picking: by the blinding length; other
        tasks: so that each input sample can be the P position of a window) and to at least one
        window, then annotations are trimmed back to the input's time span, so short streams
        (e.g. 30 s) and stream edges are annotated.
        """
        stream = _prepare_stream(stream)
        if len(stream) == 0:
            return obspy.Stream()
        bad_spans = _mask_nonfinite(stream)
        spans = _station_spans(stream)
        if self.task == "picking":
            pre, post = kwargs.get("blinding", self._annotate_args["blinding"][1])
        else:  # every input sample can be the P position of some window
            pre, post = self.p_position, self.in_samples - self.p_position - 1
        sr = self.sampling_rate
        _pad_stream(stream, self.in_samples / sr, pre / sr, post / sr)
        inference = self._inference_copy_for(kwargs)
        token = _ACTIVE_INFERENCE.set((self, inference)) if inference is not None else None
        try:
            output = await super().annotate_async(stream, copy=False, **kwargs)
        finally:
            if token is not None:
                _ACTIVE_INFERENCE.reset(token)
        for trace in output:
            key = _station_key(trace)
            t0, t1 = spans.get(key, (trace.stats.starttime, trace.stats.endtime))
            trace.trim(t0, t1)
            trace.data = np.asarray(trace.data, dtype=np.float32)
            for b0, b1 in bad_spans.get(key, []):
                i0 = max(int(np.floor((b0 - trace.stats.starttime) * trace.stats.sampling_rate)), 0)
                i1 = int(np.ceil((b1 - trace.stats.starttime) * trace.stats.sampling_rate)) + 1
                trace.data[i0:i1] = np.nan
        return obspy.Stream([tr for tr in output if tr.stats.npts > 0])

    def _predict_windows(self, segments: list, argdict: dict) -> list:
        # SeisBench runs this in a worker thread under torch.no_grad; inference_mode also skips
        # autograd's version counting and view tracking (grad modes are per thread: set here).
        with torch.inference_mode():
            return super()._predict_windows(segments, argdict)

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
          PickList or one UTCDateTime); without them the window starts at the stream start. Missing
          data inside the window is zero-filled. Output dicts keyed by station id:
          ``.magnitude``, ``.distance_km``, ``.back_azimuth_deg`` or ``.polarity`` (``"U"``/``"D"``)
          with ``.polarity_probability``, plus ``.window_start``.
        """
        if self.task == "picking":
            return super().classify(stream, **kwargs)
        self._verify_argdict(kwargs)
        argdict = {**self.default_args, **kwargs}
        stream = _prepare_stream(stream)
        out: dict[str, dict] = {"window_start": {}}
        if len(stream):
            _mask_nonfinite(stream)
            self.annotate_stream_pre(stream, argdict)
            stream = self.annotate_stream_validate(stream, argdict)
        if len(stream) == 0:
            return self._classify_output(out, np.zeros((0, 0)), [])
        p_times = argdict.get("p_times")
        comp_dict, _ = self._build_comp_dict(
            stream, self._argdict_get_with_default(argdict, "flexible_horizontal_components")
        )
        strict = self._argdict_get_with_default(argdict, "strict")
        stations, windows = [], []
        sr = self.sampling_rate
        key_of = _station_key
        for key in sorted({key_of(tr) for tr in stream}):
            traces = [tr for tr in stream if key_of(tr) == key]
            if strict and len({comp_dict.get(tr.id[-1]) for tr in traces} - {None}) < len(
                self.component_order
            ):
                continue
            p = _lookup_p_time(p_times, key)
            start = (
                (p - self.p_position / sr)
                if p is not None
                else min(tr.stats.starttime for tr in traces)
            )
            window = np.zeros((len(self.component_order), self.in_samples), dtype=np.float32)
            for tr in traces:
                if tr.id[-1] not in comp_dict:
                    continue
                offset = int(round((tr.stats.starttime - start) * sr))
                a0, a1 = max(0, -offset), min(tr.stats.npts, self.in_samples - offset)
                if a1 > a0:
                    window[comp_dict[tr.id[-1]], offset + a0 : offset + a1] = tr.data[a0:a1]
            stations.append(key)
            windows.append(window)
            out["window_start"][key] = start
        if not windows:
            return self._classify_output(out, np.zeros((0, 0)), [])
        was_training = self.training
        self.eval()
        batch_size = self._argdict_get_with_default(argdict, "batch_size")
        forward = self._inference_copy_for(argdict) or self
        preds = []
        try:
            with torch.inference_mode():
                for i in range(0, len(windows), batch_size):
                    x = torch.as_tensor(np.stack(windows[i : i + batch_size]), device=self.device)
                    preds.append(forward(self.normalize(x.to(self.dtype))).float().cpu().numpy())
        finally:
            self.train(was_training)
        return self._classify_output(out, np.concatenate(preds), stations)

    def _classify_output(
        self, out: dict, pred: np.ndarray, stations: list[str]
    ) -> sbu.ClassifyOutput:
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


def _run_parts(
    config: Any, embedder: nn.Module, llm: nn.Module, head: nn.Module, x: torch.Tensor, logits: bool
) -> torch.Tensor:
    """SeisMoLLM's forward with the given parts; ``config`` gives the task, patch size and scales."""
    features = embedder(x)
    tokens = llm(patchify(features, config.patch_size))
    features = unpatchify(tokens, config.patch_size)
    if config.task == "picking":
        return head(features, logits=logits)
    out = head(features)
    if config.task == "polarity":
        return out if logits else torch.softmax(out, dim=-1)
    if config.task == "magnitude":
        return torch.sigmoid(out[:, 0]) * config.magnitude_scale
    if config.task == "distance":
        return torch.sigmoid(out[:, 0]) * config.distance_scale
    return torch.tanh(out)


class SeisMoLLMInference(nn.Module):
    """Inference-only copy of a :py:class:`SeisMoLLM` in eval mode, made by
    :py:meth:`SeisMoLLM.inference_model`; ``forward(x, logits=False)`` as the model's.

    Embedder and picking head with BatchNorms folded into the convs, GPT-2 with LoRA merged.
    Not trainable, not meant to be saved: save the original model.
    """

    def __init__(self, model: SeisMoLLM):
        super().__init__()
        self.task = model.task
        self.patch_size = model.patch_size
        self.magnitude_scale = model.magnitude_scale
        self.distance_scale = model.distance_scale
        self.embedder = model.embedder.fused()
        self.llm = model.llm.inference_copy()
        self.head = model.head.fused()
        self.eval()

    def train(self, mode: bool = True) -> SeisMoLLMInference:
        if mode:
            raise RuntimeError("SeisMoLLMInference is for inference only; train the SeisMoLLM")
        return super().train(False)

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        return _run_parts(self, self.embedder, self.llm, self.head, x, logits)


# ---------------------------------------------------------------------- stream helpers
def _prepare_stream(stream: obspy.Stream) -> obspy.Stream:
    """Copy, convert samples to float64 and merge each channel into one trace.

    Gaps are filled with NaN (and later masked like other non-finite samples); of overlapping
    records the later one is kept (ObsPy's merge method 1).
    """
    if not isinstance(stream, obspy.Stream):
        raise TypeError(f"Expected an obspy.Stream, got {type(stream).__name__}")
    stream = stream.copy()
    for tr in stream:
        tr.data = np.asarray(np.ma.filled(tr.data.astype(np.float64), np.nan))
    stream = obspy.Stream([tr for tr in stream if tr.stats.npts > 0])
    try:
        stream.merge(method=1, fill_value=np.nan)
    except Exception as e:  # e.g. one channel id with two sampling rates
        raise ValueError(f"Cannot merge the traces of the input stream: {e}") from e
    return stream


def _mask_nonfinite(
    stream: obspy.Stream,
) -> dict[str, list[tuple[obspy.UTCDateTime, obspy.UTCDateTime]]]:
    """Replace NaN/inf samples by the trace's finite mean; return their time spans per station."""
    spans: dict[str, list] = {}
    for tr in stream:
        data = np.ma.getdata(tr.data)
        bad = ~np.isfinite(data)
        if not bad.any():
            continue
        fill = float(np.mean(data[~bad])) if (~bad).any() else 0.0
        data[bad] = fill
        edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.astype(np.int8), [0]])))
        key = _station_key(tr)
        for i0, i1 in zip(edges[::2], edges[1::2], strict=True):
            spans.setdefault(key, []).append(
                (
                    tr.stats.starttime + i0 * tr.stats.delta,
                    tr.stats.starttime + (i1 - 1) * tr.stats.delta,
                )
            )
    return spans


def _station_key(trace: obspy.Trace) -> str:
    """``NET.STA.LOC``, the id SeisBench gives an instrument's annotations and picks."""
    return f"{trace.stats.network}.{trace.stats.station}.{trace.stats.location}"


def _station_spans(stream: obspy.Stream) -> dict[str, tuple[obspy.UTCDateTime, obspy.UTCDateTime]]:
    """First and last sample time per instrument."""
    spans: dict[str, tuple] = {}
    for tr in stream:
        key = _station_key(tr)
        t0, t1 = spans.get(key, (tr.stats.starttime, tr.stats.endtime))
        spans[key] = (min(t0, tr.stats.starttime), max(t1, tr.stats.endtime))
    return spans


def _pad_stream(stream: obspy.Stream, window_s: float, pre_s: float, post_s: float) -> None:
    """Pad every (merged) channel with its mean: ``pre_s`` before its first sample, ``post_s`` after
    its last, and to at least ``window_s + pre_s + post_s`` in total."""
    for tr in stream:
        t0 = tr.stats.starttime - pre_s
        t1 = max(tr.stats.endtime + post_s, t0 + window_s + pre_s + post_s)
        tr.trim(t0, t1, pad=True, fill_value=float(np.mean(tr.data)), nearest_sample=True)


def _lookup_p_time(p_times: Any, key: str) -> obspy.UTCDateTime | None:
    if p_times is None:
        return None
    if isinstance(p_times, obspy.UTCDateTime):
        return p_times
    if isinstance(p_times, sbu.PickList):
        picks = [p for p in p_times if p.phase == "P" and p.trace_id.startswith(key.rstrip("."))]
        return min((p.peak_time or p.start_time for p in picks), default=None)
    if isinstance(p_times, Mapping):
        for candidate in (key, key.rsplit(".", 1)[0], key.rstrip(".")):
            if candidate in p_times:
                return obspy.UTCDateTime(p_times[candidate])
        return None
    raise TypeError(
        "p_times must be a dict 'NET.STA.LOC' -> UTCDateTime, a PickList or a UTCDateTime, "
        f"got {type(p_times).__name__}"
    )
