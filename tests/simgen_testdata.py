"""Small scene texts shared by tests (tests/ is on pythonpath via pyproject)."""

MINIMAL_SCENE = """\
simgen: 1
seed: 7
frames: 20
render: {engine: workbench, samples: 1, resolution: [64, 48]}
animal:
  scale: {uniform: [0.9, 1.1]}
  placement: {x: {uniform: [-0.1, 0.1]}, y: {normal: [0, 0.05]}, yaw: {uniform: [0, 360]}}
rig:
  - {name: arena, asset: arena, size: [0.6, 0.45, 0.1], material: {color: {uniform: [0.7, 0.9]}}}
cameras:
  - name: top
    position: [0, 0, 0.6]
    focal_mm: 6
    sensor_mm: 6.4
    jitter: {position: {normal: [0, 0.01], clip: [-0.02, 0.02]}}
lights:
  - {type: area, position: [0, 0, 1.2], energy: {uniform: [100, 400]}}
"""
