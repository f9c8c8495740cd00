"""Campaigns: the rollout directorate by directorate, target populations, the tracker."""
