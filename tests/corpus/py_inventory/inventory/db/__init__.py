from .queries import items_by_supplier, item_by_sku, adjust_stock, raw_report
