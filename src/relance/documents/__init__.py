"""Printable documents: reminder letters and statements as PDF, EPC payment QR codes."""
