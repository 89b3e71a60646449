import { Body, Controller, Get, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import { Response } from 'express';
import { ItemsService } from './items.service';

class ThumbDto {
  file: string;
}

@Controller('items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get('search')
  search(@Query('q') q: string) {
    return this.items.search(q);
  }

  @Get('search-safe')
  searchSafe(@Query('q') q: string) {
    return this.items.searchSafe(q);
  }

  @Get(':id')
  byId(@Param('id', ParseIntPipe) id: number) {
    return this.items.byId(id);
  }

  @Post('thumb')
  thumb(@Body() dto: ThumbDto) {
    return this.items.thumbnail(dto.file);
  }

  @Get('go/next')
  go(@Query('next') next: string, @Res() res: Response) {
    return res.redirect(next); // tavo-label: vuln open-redirect
  }

  @Get('hello/:name')
  hello(@Param('name') name: string, @Res() res: Response) {
    res.type('html').send(`<p>Hi ${name}</p>`); // tavo-label: vuln xss
  }
}
