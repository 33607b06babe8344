"""Hand-made annotation streams for the tests of ``classify_aggregate``."""

import numpy as np
import obspy


def annotation_curves(model_name, peaks, suffixes=("P", "S")):
    """30 s of 100 Hz annotation traces ``<model_name>_<suffix>`` of station XX.A, each the sum of
    a Gaussian bump (sigma 0.1 s) per ``(suffix, seconds, height)`` of ``peaks``."""
    t = np.arange(3000) / 100.0
    stream = obspy.Stream()
    for suffix in suffixes:
        bumps = [h * np.exp(-0.5 * ((t - s) / 0.1) ** 2) for c, s, h in peaks if c == suffix]
        header = dict(network="XX", station="A", channel=f"{model_name}_{suffix}", sampling_rate=100)
        stream += obspy.Trace(sum(bumps) + np.zeros_like(t), header=header)
    return stream
