# a stand-in for coolname, which composer imports to name a run (every run here is named)
def generate_slug(n=2):
    return "-".join(["lrplot"] * n)


def replace_random(r):
    pass
