"""Campaigns, tracker, exports, BI API."""
