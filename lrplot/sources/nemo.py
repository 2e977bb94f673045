KIND = "nemo"
LOOKS_FOR = "x"
FOLLOWS = "x"
def detect(doc): return False
def read(doc, inputs, *, allow_import): raise NotImplementedError
