"""Tests of the LTI adapter (lti/) and of the bridge pages a launch leads to."""
