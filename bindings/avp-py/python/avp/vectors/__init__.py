"""The deterministic generator of ``vectors/`` (driven by the Rust core through the binding) and
its lint. ``avp vectors generate`` writes the folder; ``avp vectors check`` fails on any drift."""
