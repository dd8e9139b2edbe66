def reports_reconcile():
    raise NotImplementedError
