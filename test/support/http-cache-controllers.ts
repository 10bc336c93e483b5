import {
  Controller,
  Get,
  Headers,
  Injectable,
  NotFoundException,
  Post,
  Query,
  Res,
  StreamableFile,
  UseInterceptors,
  type ExecutionContext,
} from '@nestjs/common';
import { Readable } from 'node:stream';
import { delay, of, type Observable } from 'rxjs';
import { CacheConfig, CacheInterceptor, CacheKey, CacheTTL, CacheVary } from '../../lib/index.js';

/** How many times each handler ran, and switches that make one fail. */
@Injectable()
export class HandlerRuns {
  private readonly runs = new Map<string, number>();
  failing = false;

  count(handler: string): number {
    const runs = (this.runs.get(handler) ?? 0) + 1;
    this.runs.set(handler, runs);
    return runs;
  }

  of(handler: string): number {
    return this.runs.get(handler) ?? 0;
  }
}

/** The part of Express's response the handlers below use. */
type OwnResponse = { json(body: unknown): void; setHeader(name: string, value: string): void };

const userOf = (context: ExecutionContext) =>
  context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-user'];

@Controller('cached')
@UseInterceptors(CacheInterceptor)
@CacheTTL('1h')
export class CachedController {
  constructor(private readonly runs: HandlerRuns) {}

  @Get('items')
  items(@Query('page') page = '1') {
    return { page, run: this.runs.count('items') };
  }

  @Post('items')
  create() {
    return { run: this.runs.count('create') };
  }

  @Get('fixed')
  @CacheKey('all-items')
  fixed() {
    return { run: this.runs.count('fixed'), at: new Date(0) };
  }

  @Get('computed-key')
  @CacheKey((context) => `by-user:${userOf(context)}`)
  computedKey() {
    return { run: this.runs.count('computed-key') };
  }

  @Get('short')
  @CacheTTL('300ms')
  short() {
    return { run: this.runs.count('short') };
  }

  @Get('computed-ttl')
  @CacheTTL(() => '300ms')
  computedTtl() {
    return { run: this.runs.count('computed-ttl') };
  }

  @Get('greeting')
  @CacheVary('Accept-Language')
  greeting(@Headers('accept-language') language = 'en') {
    return {
      greeting: language.startsWith('fr') ? 'bonjour' : 'hello',
      run: this.runs.count('greeting'),
    };
  }

  @Get('profile')
  @CacheVary(userOf)
  profile(@Headers('x-user') user: string) {
    return { user, run: this.runs.count('profile') };
  }

  @Get('flaky')
  @CacheTTL('300ms')
  flaky() {
    if (this.runs.failing) throw new NotFoundException('the source is gone');
    return { run: this.runs.count('flaky') };
  }

  @Get('slow')
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { run: this.runs.count('slow') };
  }

  @Get('observable')
  observable(): Observable<{ run: number }> {
    return of({ run: this.runs.count('observable') }).pipe(delay(5));
  }

  @Get('nothing')
  nothing(): undefined {
    this.runs.count('nothing');
    return undefined;
  }

  @Get('null')
  nullResponse(): null {
    this.runs.count('null');
    return null;
  }

  @Get('own-response')
  ownResponse(@Res() response: OwnResponse): void {
    response.json({ run: this.runs.count('own-response') });
  }

  @Get('passthrough')
  passthrough(@Res({ passthrough: true }) response: OwnResponse) {
    response.setHeader('X-Own', 'yes');
    return { run: this.runs.count('passthrough') };
  }

  @Get('file')
  file(): StreamableFile {
    return new StreamableFile(Buffer.from(`file, run ${this.runs.count('file')}`));
  }

  @Get('slow-file')
  async slowFile(): Promise<StreamableFile> {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return new StreamableFile(Buffer.from(`file, run ${this.runs.count('slow-file')}`));
  }

  @Get('readable')
  readable(): Readable {
    return Readable.from([`chunk, run ${this.runs.count('readable')}`]);
  }

  @Get('bytes')
  bytes(): Buffer {
    return Buffer.from(`bytes, run ${this.runs.count('bytes')}`);
  }
}

@Controller('plain')
export class PlainController {
  constructor(private readonly runs: HandlerRuns) {}

  @Get('items')
  items() {
    return { run: this.runs.count('plain') };
  }
}

/** Responses in the named cache 'pages', chosen by the controller's `@CacheConfig`. */
@Controller('pages')
@CacheConfig({ cache: 'pages' })
@UseInterceptors(CacheInterceptor)
export class PagesController {
  constructor(private readonly runs: HandlerRuns) {}

  @Get('home')
  home() {
    return { run: this.runs.count('home') };
  }
}

/** Responses in the named cache 'pages', chosen by the interceptor. */
@Controller('docs')
@UseInterceptors(CacheInterceptor.with({ cache: 'pages', ttl: '1h' }))
export class DocsController {
  constructor(private readonly runs: HandlerRuns) {}

  @Get('intro')
  intro() {
    return { run: this.runs.count('intro') };
  }
}
