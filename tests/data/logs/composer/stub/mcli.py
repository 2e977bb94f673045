# a stand-in for the MosaicML platform client composer imports (its platform logger is never used here)
def __getattr__(attr):
    if attr.startswith("__"):
        raise AttributeError(attr)
    return type(attr, (Exception,), {})
