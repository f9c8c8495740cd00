"""The campaign tracker: funnel, progress, levels, before/after, exports."""
