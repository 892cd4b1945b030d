"""The course's settings for any JupyterHub (The Littlest JupyterHub reads this folder as is).

课程在任何 JupyterHub 上的设置（The Littlest JupyterHub 直接读取这个文件夹）。

TLJH: copy this file to /opt/tljh/config/jupyterhub_config.d/ and run
``sudo tljh-config reload hub``. Another hub: ``load_subconfig`` it from
jupyterhub_config.py. The end-to-end hub test loads this same file.
"""

c = get_config()  # noqa: F821 (provided by JupyterHub when it reads the file)

# Students land in JupyterLab; an nbgitpuller link without urlpath opens JupyterLab too.
c.Spawner.default_url = "/lab"
c.Spawner.environment.update({"NBGITPULLER_APP": "lab"})
# Each student's server shows their own home only: their pulled copy of the course.
c.Spawner.notebook_dir = "~"
# The extension manager would query the network for extensions: list installed ones only.
c.Spawner.args.append("--LabApp.extension_manager=readonly")
# Every lesson a learner opens keeps a kernel of about 0.3 GB: stop kernels idle for 20 minutes
# (the learner's files stay; re-running the lesson starts a new kernel).
c.Spawner.args.append("--MappingKernelManager.cull_idle_timeout=1200")
c.Spawner.args.append("--MappingKernelManager.cull_interval=300")
# Per learner, from benchmarks/bench_hub.py (see deploy/README.md): the server with the
# heaviest lesson's kernel peaks at about 0.5 GB; the limit leaves room for a second open
# lesson or the learner's own experiments.
# Spawners that enforce limits (TLJH's systemd spawner, Kubernetes) apply these.
c.Spawner.mem_limit = "1G"
c.Spawner.mem_guarantee = "512M"
c.Spawner.cpu_limit = 1.0
# A class starts together: give a busy machine time to start every server.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
