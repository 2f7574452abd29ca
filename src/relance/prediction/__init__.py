"""Predicted lateness of open invoices, learnt from the creditor's own history."""
