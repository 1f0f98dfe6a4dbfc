# syntax=docker/dockerfile:1
# fleetops images, built from this tree (docs/operations.md):
#   docker build -t fleetops .                              control plane: API, worker, migrations
#   docker build --target agent -t fleetops-agent .         node agent alone (the DaemonSet's image)
# Packages are installed in a build stage and only the virtual environments are copied on, so the images
# carry no pip cache, no build tools and no sources beyond the installed packages.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY constraints.txt pyproject.toml ./
COPY src ./src
COPY agent ./agent
RUN python -m venv /opt/fleetops \
 && /opt/fleetops/bin/pip install -c constraints.txt . \
 && python -m venv /opt/fleetops-agent \
 && /opt/fleetops-agent/bin/pip install -c constraints.txt ./agent

# The node agent: NVML and nvidia-smi come from the host's driver through the NVIDIA container runtime.
FROM ${PYTHON_IMAGE} AS agent
COPY --from=build /opt/fleetops-agent /opt/fleetops-agent
ENV PATH=/opt/fleetops-agent/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# The agent reads /dev/kmsg and the GPUs, which takes a privileged container (deploy/kubernetes/agent);
# it runs as root there as it does under systemd.
ENTRYPOINT ["fleetops-agent"]
CMD ["run"]

# The control plane (last stage: the default target).
FROM ${PYTHON_IMAGE} AS control-plane
RUN groupadd --system --gid 10001 fleetops \
 && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /var/lib/fleetops fleetops \
 && install -d -o 10001 -g 10001 /var/lib/fleetops /var/lib/fleetops/var
COPY --from=build /opt/fleetops /opt/fleetops
ENV PATH=/opt/fleetops/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FLEETOPS_HOST=0.0.0.0 \
    FLEETOPS_PORT=8000
# Relative paths in the configuration (the SQLite default, the simulator's state) land here.
WORKDIR /var/lib/fleetops
USER 10001:10001
EXPOSE 8000
CMD ["fleetops", "serve"]
