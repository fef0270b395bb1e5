"""Provenance: EXR header keys, JSON/TXT sidecars, experiments-log entries.

Everything here is a pure function of the config and the built graph, so the same inputs give the
same bytes. The only wall-clock value is the date of an experiments-log entry, which is a log.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from .. import __version__

# EXR header keys written by ModifyMetaData just before every Write, in the published order.
EXR_KEYS = ("MLProcessing", "RecoveryType", "FilmTitle", "ShotID", "TrainingDate", "ModelCheckpoint",
            "SourceElement", "ReferenceSource", "ProcessingDate", "Restorationist", "Institution",
            "IPTCDigitalSourceType")

# Sidecar fields, in the published order.
SIDECAR_FIELDS = ("film_title", "shot_id", "frame_range", "ml_processing", "recovery_type",
                  "source_element", "reference_source", "training_date", "model_checkpoint",
                  "processing_date", "restorationist", "institution", "iptc_digital_source_type",
                  "nuke_script", "notes")


def ml_processing(cfg, proc, stages) -> str:
    if cfg.provenance.ml_processing:
        return cfg.provenance.ml_processing
    if not stages:
        return "none (MatchGrade 3D LUT baseline, not machine learning)"
    sizes = ", ".join(sorted({proc.copycat.model_size}))
    return f"NukeX CopyCat ({sizes}), {len(stages)} stage(s); nuke_restore {__version__}"


def recovery_type(proc) -> str:
    rt = proc.recovery_type
    if proc.pair_type != "direct" and "Non-Reference" not in rt:
        rt += f" ({proc.pair_type})"
    return rt


def sidecar(cfg, proc, unit, stages, nuke_script: str, checkpoint: str) -> Dict[str, Any]:
    """The ``<shot>_metadata.json`` content (the provenance fields, then a few extended ones)."""
    pv = cfg.provenance
    reference = pv.reference_source or (proc.reference or "")
    if proc.pair_type != "direct" and proc.citation:
        # A constructed or artwork reference is cited, not just pointed at.
        reference = f"{proc.pair_type}: {proc.citation}" + (f" ({reference})" if reference else "")
    if not reference:
        refs = sorted({cfg.clips[c].reference or "" for c in unit.clips})
        reference = ", ".join(r for r in refs if r)
    source = pv.source_element or ", ".join(cfg.clips[c].source for c in unit.clips)
    data: Dict[str, Any] = {
        "film_title": pv.film_title,
        "shot_id": unit.name,
        "frame_range": f"{unit.first}-{unit.last}",
        "ml_processing": ml_processing(cfg, proc, stages),
        "recovery_type": recovery_type(proc),
        "source_element": source,
        "reference_source": reference,
        "training_date": pv.training_date,
        "model_checkpoint": checkpoint,
        "processing_date": pv.processing_date,
        "restorationist": pv.restorationist,
        "institution": pv.institution,
        "iptc_digital_source_type": pv.iptc_digital_source_type,
        "nuke_script": nuke_script,
        "notes": pv.notes,
    }
    data["extended"] = {
        "workflow_version": 1,
        "procedure": proc.name,
        "procedure_template": proc.template,
        "granularity": unit.granularity,
        "shots": [s.name for s in unit.shots],
        "reference_material": {
            "type": proc.pair_type,
            "registered": proc.registered,
            "citation": proc.citation,
            "assumptions": proc.assumptions,
        },
        "training": [stage_record(s) for s in stages],
        "dataset_frames": [f"{c}:{f}" for c, f in unit.pairs],
        "dataset_timecodes": [timecode(f, cfg.project.fps) for _c, f in unit.pairs],
        "preview_frame": f"{unit.preview[0]}:{unit.preview[1]}",
        "validation_frames": [f"{c}:{f}" for c, f in unit.validation],
        "alignment": alignment_path(cfg),
        "crop_box": list(cfg.alignment.crop or (0, 0, cfg.project.format.width,
                                                cfg.project.format.height)),
        "render_settings": {"format": "exr", "bit_depth": "16 bit half",
                            "colorspace": cfg.project.write_colorspace},
    }
    return data


def timecode(frame: int, fps: float) -> str:
    """SMPTE-style HH:MM:SS:FF of a frame number counted from 0 at ``fps`` (non-drop-frame)."""
    rate = max(1, int(round(fps)))
    f = max(0, int(frame))
    ff, s = f % rate, f // rate
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


def stage_record(s) -> Dict[str, Any]:
    return {"stage": s.index + 1, "pair": s.pair, "pairs": s.pairs, "epochs": s.epochs,
            "steps": s.steps, "batch_size": s.batch_size or "auto", "crop_size": s.crop_size,
            "data_directory": s.data_dir, "model_file": s.model_file,
            "source_prefilter_median": s.prefilter, "reference_median": s.reference_median,
            "target_luma": s.target_luma, "chain": s.chain}


def alignment_path(cfg) -> str:
    al = cfg.alignment
    if al.mode == "none":
        return "none"
    if al.mode == "auto":
        return "auto F_Align"
    src = f" from {al.source_file}" if al.source_file else ""
    manual = f"manual Transform ({len(al.keys)} keyed frames{src})"
    return manual if al.mode == "manual" else f"auto F_Align + {manual}, Dissolve selects"



def exr_fields(side: Dict[str, Any]) -> Dict[str, str]:
    """The ``exr/...`` header keys for ModifyMetaData, from a sidecar dict."""
    values = {
        "MLProcessing": side["ml_processing"],
        "RecoveryType": side["recovery_type"],
        "FilmTitle": side["film_title"],
        "ShotID": side["shot_id"],
        "TrainingDate": side["training_date"],
        "ModelCheckpoint": side["model_checkpoint"],
        "SourceElement": side["source_element"],
        "ReferenceSource": side["reference_source"],
        "ProcessingDate": side["processing_date"],
        "Restorationist": side["restorationist"],
        "Institution": side["institution"],
        "IPTCDigitalSourceType": side["iptc_digital_source_type"],
    }
    return {f"exr/{k}": str(values[k]) for k in EXR_KEYS}


def sidecar_json(side: Dict[str, Any]) -> str:
    return json.dumps(side, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def sidecar_text(side: Dict[str, Any]) -> str:
    """The human-readable ``<shot>_metadata.txt``."""
    ext = side.get("extended", {})
    lines = [
        f"Film: {side['film_title']}",
        f"Shot: {side['shot_id']}  frames {side['frame_range']}",
        f"ML processing: {side['ml_processing']}",
        f"Recovery type: {side['recovery_type']}",
        f"Source: {side['source_element']}",
        f"Reference: {side['reference_source']}",
    ]
    ref = ext.get("reference_material", {})
    if ref.get("type") and ref.get("type") != "direct":
        lines.append(f"Reference type: {ref['type']} (registered: {ref.get('registered')})")
        lines.append(f"Citation: {ref.get('citation', '')}")
        lines.append(f"Assumptions: {ref.get('assumptions', '')}")
    for t in ext.get("training", []):
        lines.append(f"Training stage {t['stage']} ({t['pair']}): {t['pairs']} pairs, "
                     f"{t['epochs']} epochs, {t['steps']} steps, batch {t['batch_size']}, "
                     f"crop {t['crop_size']}")
    lines += [
        f"Training frames: {' '.join(ext.get('dataset_frames', []))}",
        f"Preview frame: {ext.get('preview_frame', '')}",
        f"Training date: {side['training_date']}",
        f"Model checkpoint: {side['model_checkpoint']}",
        f"Processing date: {side['processing_date']}",
        f"Restorationist: {side['restorationist']}  Institution: {side['institution']}",
        f"IPTC digital source type: {side['iptc_digital_source_type']}",
        f"Nuke script: {side['nuke_script']}",
        f"Notes: {side['notes']}",
    ]
    return "\n".join(lines) + "\n"


def log_entry(side: Dict[str, Any], scripts: List[str], date: str, qc_folder: Optional[str],
              outputs: List[str]) -> str:
    """One experiments-log entry in Markdown."""
    ext = side.get("extended", {})
    train = ext.get("training", [])
    hyper = "; ".join(f"stage {t['stage']} {t['pair']}: batch {t['batch_size']}, patch "
                      f"{t['crop_size']}, {t['epochs']} epochs = {t['steps']} steps"
                      for t in train) or "n/a"
    lines = [
        f"## {side['shot_id']} - {ext.get('procedure', '')} ({date})",
        "",
        f"- Shot ID: {side['shot_id']} ({', '.join(ext.get('shots', []))})",
        f"- Date: {date}",
        "- Stage: dataset_curation, alignment, training, inference"
        + (", matchgrade" if not train else ""),
        f"- Frames used: {' '.join(ext.get('dataset_frames', []))}; preview "
        f"{ext.get('preview_frame', '')}",
        f"- Crop box (x,y,r,t): {ext.get('crop_box')}",
        f"- Alignment path: {ext.get('alignment')}",
        "- Colorspace chain: Read input transform -> Linear -> YCbCr -> Shuffle -> Linear",
        f"- Model/route: {'CopyCat' if train else 'MatchGrade'}",
        f"- Hyperparams: {hyper}",
        f"- Checkpoint: {side['model_checkpoint']} (hash: fill in after training)",
        f"- Scripts: {', '.join(scripts)}",
        f"- Output path(s): {', '.join(outputs)}",
        f"- QC folder: {qc_folder or 'QC/' + date + '/'}",
        "- Observations: ",
        "- Next actions: ",
        "",
    ]
    return "\n".join(lines) + "\n"
