"""Run by `nuke -t` from test_ml_nuke.py: Read an EXR -> Inference (our .cat) -> Write a float EXR.

argv: input.exr model.cat output.exr
"""
import sys

import nuke

src, cat, out = sys.argv[1:4]
read = nuke.nodes.Read(file=src)
read["raw"].setValue(True)
inf = nuke.nodes.Inference(modelFile=cat)
inf.setInput(0, read)
write = nuke.nodes.Write(file=out)
write["file_type"].setValue("exr")
write["raw"].setValue(True)
if "datatype" in write.knobs():  # saved scripts write `datatype "32 bit float"` for EXR
    write["datatype"].setValue("32 bit float")
write.setInput(0, inf)
nuke.execute(write, 1, 1)
