"""Zip, the procurement platform: vendors, purchase orders and invoices read for the asset feeds."""
