"""Physically motivated synthetic earthquake and noise recordings in SeisBench format.

Every trace is built in the frequency domain from physical ingredients, documented with their
sources in ``docs/data.md``:

* P and S first-arrival times from a flat-layered 1-D crust (direct Pg/Sg and head waves).
* A Brune omega-squared source (corner frequency from moment and stress drop), double-couple
  radiation for P, SV and SH (the P sign is the first-motion polarity), geometric spreading,
  causal Q(f) attenuation plus a site kappa, pulse broadening and site resonance.
* Free-surface polarisation: P on Z and radial, SV on radial and Z, SH transverse; scattered P and
  S codas on all three components.
* Background noise between Peterson's NLNM and NHNM (microseisms, daytime cultural noise, hum
  lines), noise bursts, digitiser spikes and distant earthquakes already in progress.
* A second, independent event in a share of the traces (labels ``P2``/``S2``).
* Broadband, 1 Hz and 4.5 Hz short-period and accelerometer instruments with realistic gains,
  sampling rates from 20 to 250 Hz, integer counts and clipping at the digitiser's full scale.

One job per module: ``earth`` (crust, travel times, spreading), ``source`` (radiation),
``operators`` (attenuation, site, random phases), ``instruments`` (responses, gains, channel
codes, digitiser), ``noise_models`` (Peterson 1993), ``noise`` (background noise),
``waveforms`` (earthquake signal), ``traces`` (assembly and labels of a batch), ``sampling``
(presets and parameter draws), ``metadata``, ``simulate`` (seeded in-memory datasets, single
traces) and ``dataset`` (writer and the cached :py:class:`Synthetic` dataset).
"""

from seisbench_llm.data.synthetic.dataset import GENERATOR_VERSION, Synthetic, generate_synthetic
from seisbench_llm.data.synthetic.earth import (
    LAYER_TOPS_KM,
    LAYER_VP_KMS,
    SURFACE_VP_KMS,
    VP_VS_RATIO,
    travel_times,
)
from seisbench_llm.data.synthetic.instruments import INSTRUMENTS, Instrument, channel_code
from seisbench_llm.data.synthetic.noise_models import noise_model_db
from seisbench_llm.data.synthetic.sampling import PRESETS, SyntheticPreset
from seisbench_llm.data.synthetic.simulate import simulate_synthetic, synthesize_trace

__all__ = [
    "GENERATOR_VERSION",
    "INSTRUMENTS",
    "Instrument",
    "LAYER_TOPS_KM",
    "LAYER_VP_KMS",
    "PRESETS",
    "SURFACE_VP_KMS",
    "Synthetic",
    "SyntheticPreset",
    "VP_VS_RATIO",
    "channel_code",
    "generate_synthetic",
    "noise_model_db",
    "simulate_synthetic",
    "synthesize_trace",
    "travel_times",
]
