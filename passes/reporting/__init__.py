"""Figures for officers: the dashboard, its server-drawn SVG charts, CSV/XLSX exports."""
