"""Gazetteer of Kyrgyzstan (regions, districts, communities) and countries of residence."""
