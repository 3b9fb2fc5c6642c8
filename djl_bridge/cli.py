"""The ``djl-bridge`` command. Each subcommand is an ``_add_X(sub)`` that registers its parser
and sets ``func``; ``build_parser`` lists them."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from .config import DEVICES, IMPLS, MODELS, TrainConfig
from .errors import BridgeError, JavaError


def _add_train(sub: argparse._SubParsersAction) -> None:
    d = TrainConfig()
    p = sub.add_parser("train", help="train a model of D2L chapter 9 on DJL and print the result",
                       description="Train on the Java side; defaults are the Java text's.")
    p.add_argument("--model", choices=MODELS, default=d.model)
    p.add_argument("--impl", choices=IMPLS, default=d.impl)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--clip", type=float, default=d.clip, help="gradient clipping threshold")
    p.add_argument("--hidden", type=int, default=d.hidden)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--num-steps", type=int, default=d.num_steps)
    p.add_argument("--max-tokens", type=int, default=d.max_tokens)
    p.add_argument("--random-iter", action="store_true", help="random instead of sequential batches")
    p.add_argument("--data", type=Path, default=None,
                   help="timemachine.txt (default: $DJL_BRIDGE_DATA, the cache, then a download)")
    p.add_argument("--no-verify-data", action="store_true",
                   help="accept a corpus whose SHA-1 differs (another text, on purpose)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", choices=DEVICES, default=d.device)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=_cmd_train)


def _config(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        model=args.model, impl=args.impl, epochs=args.epochs, lr=args.lr, clip=args.clip,
        hidden=args.hidden, batch_size=args.batch_size, num_steps=args.num_steps,
        max_tokens=args.max_tokens, random_iter=args.random_iter, data=args.data,
        verify_data=not args.no_verify_data, seed=args.seed, device=args.device,
    )


def _cmd_train(args: argparse.Namespace) -> int:
    from .train import train

    config = _config(args)
    every = max(1, config.epochs // 10)

    def progress(epoch: int, ppl: float, speed: float) -> bool:
        if not args.json and (epoch % every == 0 or epoch == 1):
            print(f"epoch {epoch}/{config.epochs}  perplexity {ppl:.3f}  {speed:,.0f} tokens/s",
                  file=sys.stderr, flush=True)
        return True

    result = train(config, on_epoch=progress)
    if args.json:
        print(result.to_json())
    else:
        print(result.summary())
    return 0


def _add_parity(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parity", help="check the numpy twin against the Java classes, component by component",
                       description="Run every parity check on a small random setup and print a table; "
                                   "exit 1 if any check fails.")
    p.add_argument("--json", action="store_true",
                   help='print {"checks": [{"name", "max_abs_err", "max_rel_err", "tol", "ok"}...]}')
    p.add_argument("--seed", type=int, default=None, help="seed of the random setup")
    p.add_argument("--data", type=Path, default=None,
                   help="timemachine.txt (default: $DJL_BRIDGE_DATA, the cache, then a download)")
    p.add_argument("--no-verify-data", action="store_true",
                   help="accept a corpus whose SHA-1 differs (another text, on purpose)")
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=_cmd_parity)


def _cmd_parity(args: argparse.Namespace) -> int:
    import json

    from .data import locate_corpus
    from .parity import ParitySetup, format_table, run_checks

    data = locate_corpus(args.data, verify_sha1=not args.no_verify_data)
    setup = ParitySetup(data=data) if args.seed is None else ParitySetup(data=data, seed=args.seed)
    results = run_checks(setup)
    if args.json:
        print(json.dumps({"checks": [r.to_dict() for r in results]}))
    else:
        print(format_table(results))
        failed = [r.name for r in results if not r.ok]
        print(f"{len(results) - len(failed)}/{len(results)} checks pass"
              + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 0 if all(r.ok for r in results) else 1


def _add_bench(sub: argparse._SubParsersAction) -> None:
    from .bench import DEFAULT_EPOCHS

    d = TrainConfig()
    p = sub.add_parser("bench", help="measure tokens/s and RSS, bridge against plain java, each run its own process",
                       description="Train each model x impl from the bridge (Python + JPype) and from plain "
                                   "`java` (djlbridge.Main), each run a fresh process, back to back; print "
                                   "tokens/s, s/epoch, peak RSS, RSS growth and the bridge / java ratio. "
                                   "Defaults are the Java text's configuration.")
    p.add_argument("--json", action="store_true",
                   help='print {"rows": [{"model", "impl", "launcher", "tokens_per_sec", "sec_per_epoch", '
                        '"peak_rss_mb", "rss_growth_pct", "ratio", ...}...]}')
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs per run")
    p.add_argument("--models", default=",".join(MODELS), help="comma list of gru,lstm,rnn")
    p.add_argument("--impls", default=",".join(IMPLS), help="comma list of scratch,concise")
    p.add_argument("--launchers", default="bridge,java", help="comma list of bridge,java")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--clip", type=float, default=d.clip, help="gradient clipping threshold")
    p.add_argument("--hidden", type=int, default=d.hidden)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--num-steps", type=int, default=d.num_steps)
    p.add_argument("--max-tokens", type=int, default=d.max_tokens)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", choices=DEVICES, default=d.device)
    p.add_argument("--data", type=Path, default=None,
                   help="timemachine.txt (default: $DJL_BRIDGE_DATA, the cache, then a download)")
    p.add_argument("--no-verify-data", action="store_true",
                   help="accept a corpus whose SHA-1 differs (another text, on purpose)")
    p.add_argument("--timeout", type=float, default=None, help="seconds allowed per run (default: no limit)")
    p.set_defaults(func=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import LAUNCHERS, BenchConfig, format_table, parse_list, run_bench, to_json

    train = TrainConfig(
        epochs=args.epochs, lr=args.lr, clip=args.clip, hidden=args.hidden, batch_size=args.batch_size,
        num_steps=args.num_steps, max_tokens=args.max_tokens, data=args.data,
        verify_data=not args.no_verify_data, seed=args.seed, device=args.device,
    )
    config = BenchConfig(
        models=parse_list(args.models, MODELS, "--models"),
        impls=parse_list(args.impls, IMPLS, "--impls"),
        launchers=parse_list(args.launchers, LAUNCHERS, "--launchers"),
        train=train, timeout=args.timeout,
    )
    rows = run_bench(config, progress=lambda line: print(f"bench: {line}", file=sys.stderr, flush=True))
    print(to_json(rows) if args.json else format_table(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``djl-bridge``."""
    parser = argparse.ArgumentParser(
        prog="djl-bridge",
        description="Run, check and measure the D2L RNN chapters on DJL + MXNet from Python.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_parity(sub)
    _add_bench(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit code (1 on a reported error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BridgeError as exc:
        if getattr(args, "debug", False) and isinstance(exc, JavaError) and exc.java_trace:
            print(exc.java_trace, file=sys.stderr)
        print(f"djl-bridge: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
