"""Physically motivated synthetic earthquake and noise waveforms in SeisBench format.

Every trace is built in the frequency domain from a handful of physical ingredients:

* P and S first-arrival times from a flat-layered 1-D crust (direct Pg/Sg and the head waves
  along the layer tops, Pb/Pn and Sb/Sn), solved per trace by ray-parameter bisection.
* A Brune omega-squared source (corner frequency from moment and stress drop, causal moment-rate
  pulse), a double-couple radiation pattern for P, SV and SH (the sign of the P radiation gives
  the first-motion polarity), geometric spreading and causal (minimum-phase) anelastic
  attenuation with a frequency-dependent Q plus a site kappa.
* P polarised in the vertical/radial plane (radial = along the back-azimuth, up to a few
  degrees of lateral refraction and sensor misorientation), S split into SV (radial, a little
  vertical) and SH (transverse); near-surface incidence angles from the ray parameter.
* Pulse broadening with distance and a resonant soft surface layer at many stations.
* Scattered energy after each phase (P coda and S coda) with a rise-and-exponential-decay
  envelope, spectrally shaped like its phase.
* Coloured background noise: microseism peaks at 0.1-0.3 Hz, a power-law high-frequency part,
  occasional narrow-band cultural hum, a slow amplitude modulation, station-dependent levels.
* Broadband (``HH``, flat velocity) or short-period (``EH``, 1 Hz geophone) instruments.

Amplitudes are ground velocity in nm/s, stored as "counts" with a gain of one count per nm/s.

The package has one job per module: ``earth`` (crust, travel times, spreading), ``source``
(radiation pattern), ``operators`` (attenuation, instrument, site, random phases), ``noise``,
``waveforms`` (synthesis of a batch), ``sampling`` (presets and parameter draws), ``metadata``,
``simulate`` (seeded in-memory datasets, single traces) and ``dataset`` (writer and the cached
:py:class:`Synthetic` dataset).
"""

from seisbench_llm.data.synthetic.dataset import GENERATOR_VERSION, Synthetic, generate_synthetic
from seisbench_llm.data.synthetic.earth import (
    LAYER_TOPS_KM,
    LAYER_VP_KMS,
    SURFACE_VP_KMS,
    VP_VS_RATIO,
    travel_times,
)
from seisbench_llm.data.synthetic.sampling import PRESETS, SyntheticPreset
from seisbench_llm.data.synthetic.simulate import simulate_synthetic, synthesize_trace

__all__ = [
    "GENERATOR_VERSION",
    "LAYER_TOPS_KM",
    "LAYER_VP_KMS",
    "PRESETS",
    "SURFACE_VP_KMS",
    "Synthetic",
    "SyntheticPreset",
    "VP_VS_RATIO",
    "generate_synthetic",
    "simulate_synthetic",
    "synthesize_trace",
    "travel_times",
]
